/**
 * A car's OS as its agent reports it (AgentHeader `os`, `osSlots`, `osUpdate`): the version it runs,
 * its two root slots as RAUC sees them and the last OS update's outcome. Types and pure helpers; the
 * database keeps the latest report per car (ota-db.ts), os-report-recorder.ts decides what to record.
 */
import type { HeaderOf } from '../../protocol/index.ts';

export type OsSlots = NonNullable<HeaderOf<'agent'>['osSlots']>;
export type OsUpdate = NonNullable<HeaderOf<'agent'>['osUpdate']>;

/** What the NUC keeps of a car's OS (null: not reported, e.g. a car not running the project's image). */
export interface CarOs {
  /** the OS version the car runs */
  os: string | null;
  osSlots: OsSlots | null;
  /** the last OS update: the version it installs, where it is, why it failed, when it last changed (ms since the epoch, the car's clock), the bytes the car downloaded for it */
  osUpdate: OsUpdate | null;
}

/** The OS outcomes that fail the release carrying that OS, as a service rollback fails it. */
export const FAILED_OS_OUTCOMES: ReadonlySet<string> = new Set(['rolled-back', 'failed']);

/** Copies the named fields only: nothing the schema does not name is kept. */
export function osSlotsOf(slots: OsSlots): OsSlots {
  const slot = (s: OsSlots['A']): OsSlots['A'] => ({ state: s.state, ...(s.version === undefined ? {} : { version: s.version }) });
  return { booted: slots.booted, A: slot(slots.A), B: slot(slots.B) };
}

export function osUpdateOf(update: OsUpdate): OsUpdate {
  return {
    version: update.version,
    outcome: update.outcome,
    ...(update.reason === undefined ? {} : { reason: update.reason }),
    at: update.at,
    ...(update.downloadedBytes === undefined ? {} : { downloadedBytes: update.downloadedBytes }),
  };
}

/** The OS part of an agent report, as kept. */
export function carOsOf(report: { os?: string | undefined; osSlots?: OsSlots | undefined; osUpdate?: OsUpdate | undefined }): CarOs {
  return {
    os: report.os ?? null,
    osSlots: report.osSlots ? osSlotsOf(report.osSlots) : null,
    osUpdate: report.osUpdate ? osUpdateOf(report.osUpdate) : null,
  };
}

export function sameOsUpdate(a: OsUpdate | null, b: OsUpdate | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.version === b.version &&
    a.outcome === b.outcome &&
    a.at === b.at &&
    (a.reason ?? null) === (b.reason ?? null) &&
    (a.downloadedBytes ?? null) === (b.downloadedBytes ?? null)
  );
}

export function sameCarOs(a: CarOs, b: CarOs): boolean {
  return a.os === b.os && JSON.stringify(a.osSlots) === JSON.stringify(b.osSlots) && sameOsUpdate(a.osUpdate, b.osUpdate);
}

/** The OS version a release manifest carries (`os.version`), if any. */
export function manifestOsVersion(manifest: unknown): string | undefined {
  if (typeof manifest !== 'object' || manifest === null) return undefined;
  const os = (manifest as { os?: unknown }).os;
  if (typeof os !== 'object' || os === null) return undefined;
  const version = (os as { version?: unknown }).version;
  return typeof version === 'string' ? version : undefined;
}
