/**
 * Turns the car agent's reports (`car/<id>/agent`) into rollout records. The previous state comes
 * from the database, not from memory, so a NUC restart in the middle of an update still records
 * its outcome, and heartbeats (the same report every second) never add a history row.
 */
import type { OtaDb, RolloutEvent } from './ota-db.ts';

/** The AgentHeader fields this needs (the agent may send more). */
export interface AgentReportFields {
  /** `"<label> v<version>"`, or `"none"` before the first install */
  release: string;
  state: string;
  progress: number;
  error?: string | undefined;
  /** the installed release's version (0: none); while updating, `release` names the candidate instead */
  version?: number | undefined;
}

/** Phases in which the car runs its installed release and is not moving to another. */
const RESTING = new Set(['idle', 'failed']);
/** States the database holds after an outcome was recorded for the current attempt. */
const ATTEMPT_ENDED = new Set(['rolling-back', 'rolled-back', 'failed', 'running', 'idle']);

/**
 * The release version a report names: the ` v<n>` ending of `release` (the candidate while
 * updating, the installed one at rest), else the `version` field.
 */
export function reportedVersion(report: AgentReportFields): number | undefined {
  const match = / v(\d{1,9})$/.exec(report.release);
  const version = match ? Number(match[1]) : NaN;
  if (Number.isInteger(version) && version >= 1) return version;
  return report.version !== undefined && Number.isInteger(report.version) && report.version >= 1 ? report.version : undefined;
}

export interface RecordResult {
  /** false for a heartbeat that changed nothing, or a change the gate refused */
  changed: boolean;
  /** why the gate refused a change */
  refused?: string;
  /** the outcome recorded by this report, if it ended an update */
  outcome?: RolloutEvent;
}

/**
 * Records one agent report: the car's state on every change, and the outcome when an update ends
 * (→ idle on a new version: installed; → rolling-back: rolled-back; → failed straight from an
 * update phase: failed). One attempt gives one history row: a rollback that ends in `failed` was
 * already recorded as rolled-back with its error.
 */
export function recordAgentReport(
  db: OtaDb,
  car: string,
  report: AgentReportFields,
  at = new Date(),
  /** asked only for a real change (never for a heartbeat): a reason refuses it */
  admit: () => string | undefined = () => undefined,
): RecordResult {
  const version = reportedVersion(report);
  const previous = db.car(car);
  const error = report.error ?? null;
  const resting = RESTING.has(report.state);
  // while updating (or rolling back) the report names the candidate; at rest, what the car runs
  const next = resting ? { version: version ?? previous?.version ?? null, targetVersion: null } : { version: previous?.version ?? null, targetVersion: version ?? null };
  if (
    previous &&
    previous.state === report.state &&
    previous.version === next.version &&
    previous.targetVersion === next.targetVersion &&
    previous.error === error
  ) {
    return { changed: false };
  }
  const refused = admit();
  if (refused !== undefined) return { changed: false, refused };

  let outcome: RolloutEvent | undefined;
  const wasUpdating = previous !== undefined && !ATTEMPT_ENDED.has(previous.state);
  const from = previous?.version ?? null;
  if (report.state === 'rolling-back' && previous?.state !== 'rolling-back' && version !== undefined) {
    outcome = db.recordOutcome({ car, from, to: version, outcome: 'rolled-back', ...(error ? { error } : {}) }, at);
  } else if (report.state === 'idle' && version !== undefined && previous && version !== from && (wasUpdating || from !== null)) {
    // also an install the NUC did not watch (it was down): the car runs a new version now
    outcome = db.recordOutcome({ car, from, to: version, outcome: 'installed' }, at);
  } else if (report.state === 'failed' && wasUpdating && previous.targetVersion !== null) {
    outcome = db.recordOutcome({ car, from, to: previous.targetVersion, outcome: 'failed', error: error ?? 'update failed' }, at);
  }
  db.reportCar(car, { state: report.state, ...next, error }, at);
  return { changed: true, ...(outcome ? { outcome } : {}) };
}
