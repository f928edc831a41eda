/** The NUC's update repository: static TUF metadata and blobs over HTTP, and the release/rollout records. */
export { otaRoutes } from './routes.ts';
export { OtaDb, OtaDbError } from './ota-db.ts';
export { recordAgentReport } from './rollout-recorder.ts';
export { fleetSummary, type FleetCar } from './fleet.ts';
export { RollbackRefused, rollbackCar, type RollbackPublisher } from './rollback.ts';
export { watchTimestamp } from './timestamp-watch.ts';
export { startTimestampRefresh, type TimestampSigner } from './timestamp-refresh.ts';
