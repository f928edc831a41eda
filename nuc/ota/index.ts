/** The NUC's update repository: static TUF metadata and blobs over HTTP, and the release/rollout records. */
export { otaRoutes, type OtaRoutesOptions } from './routes.ts';
export {
  OtaDb,
  OtaDbError,
  ROLLOUT_OUTCOMES,
  type CarReport,
  type CarState,
  type ReleaseRecord,
  type RolloutEvent,
  type RolloutOutcome,
} from './ota-db.ts';
