/**
 * The NUC's record of updates (SQLite, WAL): every published release, what each car runs now,
 * and the history of each car's updates with failures and their errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CarOs } from './car-os.ts';
import { releaseHealth } from './release-base.ts';
import { ROLLOUT_OUTCOMES, type RolloutEvent, type RolloutOutcome } from './rollout-event.ts';

export { ROLLOUT_OUTCOMES, type RolloutEvent, type RolloutOutcome };


export interface ReleaseRecord {
  version: number;
  label: string;
  createdAt: string;
  rollbackOf: number | null;
  /** set when a model that is not a candidate was shipped anyway: what the override overrode */
  override: string | null;
  /** set when cars rolled back from it and none runs it: why; later releases do not build on it */
  withdrawn: string | null;
  /** the release manifest as published */
  manifest: unknown;
}

export interface CarRollout {
  car: string;
  /** the release the car runs, null before its first install */
  version: number | null;
  /** the release it is moving to, if any */
  targetVersion: number | null;
  /** the agent's last reported state (e.g. downloading, staged, running, failed) */
  state: string;
  error: string | null;
  updatedAt: string;
}

export interface CarReport {
  state: string;
  version?: number | null;
  targetVersion?: number | null;
  error?: string | null;
}

export class OtaDbError extends Error {
  override name = 'OtaDbError';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS releases (
  version INTEGER PRIMARY KEY,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  rollback_of INTEGER,
  manifest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS car_state (
  car TEXT PRIMARY KEY,
  version INTEGER,
  target_version INTEGER,
  state TEXT NOT NULL,
  error TEXT,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rollout_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  car TEXT NOT NULL,
  from_version INTEGER,
  to_version INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('installed', 'failed', 'rolled-back')),
  error TEXT,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rollout_events_car ON rollout_events (car, id);
CREATE TABLE IF NOT EXISTS car_os (
  car TEXT PRIMARY KEY,
  os TEXT,
  os_slots TEXT,
  os_update TEXT,
  updated_at TEXT NOT NULL
);
`;

/** Columns added since the first schema, with what an older database gets. */
const ADDED_COLUMNS: { table: string; column: string; type: string }[] = [
  { table: 'releases', column: 'override', type: 'TEXT' },
  { table: 'releases', column: 'withdrawn', type: 'TEXT' },
];

const CAR_ID = /^[A-Za-z0-9_-]{1,64}$/;

function checkCar(car: string): void {
  if (!CAR_ID.test(car)) throw new OtaDbError(`invalid car id '${car}': use 1-64 letters, digits, '-' or '_'`);
}

function checkVersion(what: string, version: number | null | undefined): void {
  if (version != null && !(Number.isInteger(version) && version >= 1)) throw new OtaDbError(`${what} must be a positive integer, got ${version}`);
}

interface CarRow {
  car: string;
  version: number | null;
  target_version: number | null;
  state: string;
  error: string | null;
  updated_at: string;
}

interface EventRow {
  id: number;
  car: string;
  from_version: number | null;
  to_version: number;
  outcome: RolloutOutcome;
  error: string | null;
  at: string;
}

interface CarOsRow {
  car: string;
  os: string | null;
  os_slots: string | null;
  os_update: string | null;
  updated_at: string;
}

interface ReleaseRow {
  version: number;
  label: string;
  created_at: string;
  rollback_of: number | null;
  override: string | null;
  withdrawn: string | null;
  manifest: string;
}

const toCar = (r: CarRow): CarRollout => ({
  car: r.car,
  version: r.version,
  targetVersion: r.target_version,
  state: r.state,
  error: r.error,
  updatedAt: r.updated_at,
});
const toEvent = (r: EventRow): RolloutEvent => ({ id: r.id, car: r.car, from: r.from_version, to: r.to_version, outcome: r.outcome, error: r.error, at: r.at });
const toRelease = (r: ReleaseRow): ReleaseRecord => ({
  version: r.version,
  label: r.label,
  createdAt: r.created_at,
  rollbackOf: r.rollback_of,
  override: r.override,
  withdrawn: r.withdrawn,
  manifest: JSON.parse(r.manifest) as unknown,
});

export class OtaDb {
  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating if needed) the database; `:memory:` for tests. */
  static open(file: string): OtaDb {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
    for (const { table, column, type } of ADDED_COLUMNS) {
      const present = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
      if (!present) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
    return new OtaDb(db);
  }

  close(): void {
    this.db.close();
  }

  /** `override`: a model that is not a candidate shipped on an explicit override, and why it is not one */
  recordRelease(release: { version: number; label: string; createdAt: string; rollbackOf?: number | null; override?: string | null; manifest: unknown }): void {
    checkVersion('release version', release.version);
    const existing = this.release(release.version);
    if (existing) {
      // publishing records the release once; recording the same one again (a retried CLI run) is harmless
      if (JSON.stringify(existing.manifest) === JSON.stringify(release.manifest)) return;
      throw new OtaDbError(`release ${release.version} is already recorded with different content`);
    }
    this.db
      .prepare('INSERT INTO releases (version, label, created_at, rollback_of, override, manifest) VALUES (?, ?, ?, ?, ?, ?)')
      .run(release.version, release.label, release.createdAt, release.rollbackOf ?? null, release.override ?? null, JSON.stringify(release.manifest));
  }

  release(version: number): ReleaseRecord | undefined {
    const row = this.db.prepare('SELECT * FROM releases WHERE version = ?').get(version) as ReleaseRow | undefined;
    return row && toRelease(row);
  }

  /** Newest first. */
  releases(limit = 100): ReleaseRecord[] {
    return (this.db.prepare('SELECT * FROM releases ORDER BY version DESC LIMIT ?').all(limit) as ReleaseRow[]).map(toRelease);
  }

  /** Marks a release withdrawn with why, or (null) not withdrawn; unknown versions are left alone. */
  setWithdrawn(version: number, reason: string | null): void {
    this.db.prepare('UPDATE releases SET withdrawn = ? WHERE version = ?').run(reason, version);
  }

  /** Records the agent's latest report for a car; fields left out keep their value. */
  reportCar(car: string, report: CarReport, at = new Date()): CarRollout {
    checkCar(car);
    checkVersion('version', report.version);
    checkVersion('target version', report.targetVersion);
    if (report.state.length === 0 || report.state.length > 64) throw new OtaDbError('state must be 1-64 characters');
    const current = this.car(car);
    const next: CarRow = {
      car,
      version: report.version !== undefined ? report.version : (current?.version ?? null),
      target_version: report.targetVersion !== undefined ? report.targetVersion : (current?.targetVersion ?? null),
      state: report.state,
      error: report.error ?? null,
      updated_at: at.toISOString(),
    };
    this.db
      .prepare(
        `INSERT INTO car_state (car, version, target_version, state, error, updated_at) VALUES (@car, @version, @target_version, @state, @error, @updated_at)
         ON CONFLICT (car) DO UPDATE SET version = @version, target_version = @target_version, state = @state, error = @error, updated_at = @updated_at`,
      )
      .run(next);
    return toCar(next);
  }

  car(car: string): CarRollout | undefined {
    const row = this.db.prepare('SELECT * FROM car_state WHERE car = ?').get(car) as CarRow | undefined;
    return row && toCar(row);
  }

  cars(): CarRollout[] {
    return (this.db.prepare('SELECT * FROM car_state ORDER BY car').all() as CarRow[]).map(toCar);
  }

  /**
   * Records how an update attempt ended and moves the car's state with it, in one transaction:
   * installed → runs `to`; failed → still runs `from`; rolled-back → back on `from`. The release
   * `to` is re-judged with it: withdrawn once cars rolled back from it and none runs it.
   */
  recordOutcome(event: { car: string; from: number | null; to: number; outcome: RolloutOutcome; error?: string }, at = new Date()): RolloutEvent {
    checkCar(event.car);
    checkVersion('from', event.from);
    checkVersion('to', event.to);
    if (!ROLLOUT_OUTCOMES.includes(event.outcome)) throw new OtaDbError(`unknown outcome '${event.outcome}'; expected ${ROLLOUT_OUTCOMES.join(', ')}`);
    const when = at.toISOString();
    return this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO rollout_events (car, from_version, to_version, outcome, error, at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(event.car, event.from, event.to, event.outcome, event.error ?? null, when);
      const installed = event.outcome === 'installed';
      this.reportCar(
        event.car,
        {
          state: installed ? 'running' : event.outcome,
          version: installed ? event.to : event.from,
          targetVersion: null,
          error: event.error ?? null,
        },
        at,
      );
      const health = releaseHealth(event.to, this.outcomes(event.to));
      this.setWithdrawn(event.to, health.state === 'withdrawn' ? health.reason : null);
      return { id: Number(info.lastInsertRowid), car: event.car, from: event.from, to: event.to, outcome: event.outcome, error: event.error ?? null, at: when };
    })();
  }

  /** Keeps a car's latest OS report (what its agent says of its OS, slots and last OS update). */
  reportOs(car: string, report: CarOs, at = new Date()): void {
    checkCar(car);
    this.db
      .prepare(
        `INSERT INTO car_os (car, os, os_slots, os_update, updated_at) VALUES (@car, @os, @os_slots, @os_update, @updated_at)
         ON CONFLICT (car) DO UPDATE SET os = @os, os_slots = @os_slots, os_update = @os_update, updated_at = @updated_at`,
      )
      .run({
        car,
        os: report.os,
        os_slots: report.osSlots === null ? null : JSON.stringify(report.osSlots),
        os_update: report.osUpdate === null ? null : JSON.stringify(report.osUpdate),
        updated_at: at.toISOString(),
      });
  }

  /** A car's latest OS report, with when it was recorded. */
  carOs(car: string): (CarOs & { updatedAt: string }) | undefined {
    const row = this.db.prepare('SELECT * FROM car_os WHERE car = ?').get(car) as CarOsRow | undefined;
    if (!row) return undefined;
    return {
      os: row.os,
      osSlots: row.os_slots === null ? null : (JSON.parse(row.os_slots) as CarOs['osSlots']),
      osUpdate: row.os_update === null ? null : (JSON.parse(row.os_update) as CarOs['osUpdate']),
      updatedAt: row.updated_at,
    };
  }

  /** Newest first; all cars unless one is named. */
  history(options: { car?: string; limit?: number } = {}): RolloutEvent[] {
    const limit = options.limit ?? 100;
    const rows = options.car
      ? this.db.prepare('SELECT * FROM rollout_events WHERE car = ? ORDER BY id DESC LIMIT ?').all(options.car, limit)
      : this.db.prepare('SELECT * FROM rollout_events ORDER BY id DESC LIMIT ?').all(limit);
    return (rows as EventRow[]).map(toEvent);
  }

  /** Every recorded attempt, oldest first; only those to `version` when given. */
  outcomes(version?: number): RolloutEvent[] {
    const rows = version === undefined
      ? this.db.prepare('SELECT * FROM rollout_events ORDER BY id').all()
      : this.db.prepare('SELECT * FROM rollout_events WHERE to_version = ? ORDER BY id').all(version);
    return (rows as EventRow[]).map(toEvent);
  }

  /** The release a car ran before its current one (what `deploy rollback <car>` goes back to). */
  previousVersion(car: string): number | undefined {
    const current = this.car(car)?.version;
    if (current == null) return undefined;
    const row = this.db
      .prepare("SELECT from_version FROM rollout_events WHERE car = ? AND outcome = 'installed' AND to_version = ? AND from_version IS NOT NULL ORDER BY id DESC LIMIT 1")
      .get(car, current) as { from_version: number } | undefined;
    return row?.from_version;
  }
}
