/**
 * Keeps each car's OS report (AgentHeader `os`, `osSlots`, `osUpdate`) and turns a failed OS update
 * into the rollout history: a car that came back on its old root slot (`rolled-back`), or whose
 * RAUC refused or failed the install (`failed`), failed the release that carried that OS, exactly
 * as a service rollback fails it. So the withdrawn-release rule (release-base.ts) withdraws it and
 * the next release builds on the last healthy one. Like the service records, the previous report
 * comes from the database: a NUC restart neither loses an outcome nor records it twice, and a
 * heartbeat (the same report every second) writes nothing.
 */
import { carOsOf, FAILED_OS_OUTCOMES, manifestOsVersion, sameCarOs, sameOsUpdate, type OsSlots, type OsUpdate } from './car-os.ts';
import type { OtaDb, RolloutEvent, RolloutOutcome } from './ota-db.ts';
import { reportedVersion, type AgentReportFields, type RecordResult } from './rollout-recorder.ts';

/** The AgentHeader fields this needs. */
export interface OsReportFields extends AgentReportFields {
  os?: string | undefined;
  osSlots?: OsSlots | undefined;
  osUpdate?: OsUpdate | undefined;
}

/**
 * The release whose OS the update installed: the release the report names (the candidate while
 * updating) or the car's recorded target, when it carries that OS version; else the newest release
 * that does. Undefined when no recorded release carries it.
 */
export function releaseOfOs(db: OtaDb, car: string, report: AgentReportFields, osVersion: string): number | undefined {
  const carries = (version: number | null | undefined): version is number => version != null && manifestOsVersion(db.release(version)?.manifest) === osVersion;
  for (const candidate of [reportedVersion(report), db.car(car)?.targetVersion]) if (carries(candidate)) return candidate;
  return db.releases(1000).find((release) => manifestOsVersion(release.manifest) === osVersion)?.version;
}

/** What the history says of the failed OS update: its version and the car's reason. */
export function osFailure(update: OsUpdate): string {
  const reason = update.reason ?? (update.outcome === 'rolled-back' ? 'the car came back on its old root slot' : 'the OS update failed');
  return `OS ${update.version}: ${reason}`;
}

/**
 * Records a car's OS report when it changed, and the outcome when an OS update newly ended
 * rolled-back or failed. `admit` is asked only for a real change (the report gate); a reason refuses it.
 */
export function recordOsReport(db: OtaDb, car: string, report: OsReportFields, at = new Date(), admit: () => string | undefined = () => undefined): RecordResult {
  const next = carOsOf(report);
  const previous = db.carOs(car);
  if (previous ? sameCarOs(previous, next) : next.os === null && next.osSlots === null && next.osUpdate === null) return { changed: false };
  const refused = admit();
  if (refused !== undefined) return { changed: false, refused };

  let outcome: RolloutEvent | undefined;
  const update = next.osUpdate;
  // a car that reports no OS version is not on the project's image (a simulated car): it skips the
  // OS and says why, which fails no release
  if (update && next.os !== null && FAILED_OS_OUTCOMES.has(update.outcome) && !sameOsUpdate(previous?.osUpdate ?? null, update)) {
    const release = releaseOfOs(db, car, report, update.version);
    // the agent may have said so already as a service rollback of the same release: one attempt, one row
    const latest = db.history({ car, limit: 1 })[0];
    const recorded = latest !== undefined && latest.to === release && latest.outcome !== 'installed';
    if (release !== undefined && !recorded) {
      outcome = db.recordOutcome({ car, from: db.car(car)?.version ?? null, to: release, outcome: update.outcome as RolloutOutcome, error: osFailure(update) }, at);
    }
  }
  db.reportOs(car, next, at);
  return { changed: true, ...(outcome ? { outcome } : {}) };
}
