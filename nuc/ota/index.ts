/** The NUC's update repository: static TUF metadata and blobs over HTTP, and the release/rollout records. */
export { otaRoutes, type OtaRoutesOptions, type ReleaseSummary, type ReleasesReply, type RolloutsReply } from './routes.ts';
export {
  OtaDb,
  OtaDbError,
  ROLLOUT_OUTCOMES,
  type CarReport,
  type CarRollout,
  type ReleaseRecord,
  type RolloutEvent,
  type RolloutOutcome,
} from './ota-db.ts';
export { recordAgentReport, reportedVersion, type AgentReportFields, type RecordResult } from './rollout-recorder.ts';
export { AgentReportGate, type ReportGateOptions, type ReportRefusal } from './report-gate.ts';
export { fleetSummary, type FleetCar, type FleetService, type LiveCar } from './fleet.ts';
export { RollbackRefused, rollbackCar, type RollbackPublisher, type RollbackResult } from './rollback.ts';
export { chooseReleaseBase, releaseHealth, type ReleaseBase, type ReleaseHealth } from './release-base.ts';
export { releaseBaseFor } from './release-base-for.ts';
export { timestampVersion, watchTimestamp } from './timestamp-watch.ts';
export { carOsOf, FAILED_OS_OUTCOMES, manifestOsVersion, osSlotsOf, osUpdateOf, type CarOs, type OsSlots, type OsUpdate } from './car-os.ts';
export { osFailure, recordOsReport, releaseOfOs, type OsReportFields } from './os-report-recorder.ts';
export { MAX_OS_REBOOT_CARS, ReleaseHints, type ReleaseHintFields, type ReleaseHintOptions } from './release-hint.ts';
export {
  refreshTimestampIfDue,
  startTimestampRefresh,
  timestampNeedsRefresh,
  type TimestampRefreshLog,
  type TimestampRefreshOptions,
  type TimestampSigner,
} from './timestamp-refresh.ts';
export { FleetReplySchema, OsRebootReplySchema, RollbackReplySchema, type OsRebootResult } from './reply-schemas.ts';
