/**
 * Race results in the NUC's SQLite (`<dataDir>/races.sqlite`, WAL): each session that finished with
 * every car's classification, every lap of every car and every correction (who, when, why); the
 * registered racers; and the competitions (time trials, heats, brackets) with their state.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CompetitionState } from './competition.ts';
import type { LapSheet, Correction, CorrectionKind, EntryStatus, SessionKind, Standing } from './race.ts';
import type { Racer } from './racers.ts';

export const RACES_DB = 'races.sqlite';

export interface ResultStanding extends Standing {
  /** the racer's name and colour when the session ran */
  name: string;
  colour: string;
}

export interface RaceResult {
  id: number;
  kind: SessionKind;
  label: string | null;
  competition: number | null;
  track: string;
  laps: number;
  minutes: number | null;
  /** ISO times */
  startedAt: string;
  finishedAt: string;
  standings: ResultStanding[];
  /** every lap of every car */
  cars: LapSheet[];
  corrections: Correction[];
}

export interface NewSession {
  kind: SessionKind;
  track: string;
  laps: number;
  minutes?: number;
  label?: string;
  competition?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS races (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  track TEXT NOT NULL,
  laps INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE TABLE IF NOT EXISTS race_results (
  race_id INTEGER NOT NULL REFERENCES races(id),
  position INTEGER NOT NULL,
  car TEXT NOT NULL,
  status TEXT NOT NULL,
  laps INTEGER NOT NULL,
  total_s REAL,
  gap_s REAL,
  best_lap_s REAL,
  last_lap_s REAL,
  false_start INTEGER NOT NULL,
  contacts INTEGER NOT NULL,
  PRIMARY KEY (race_id, car)
);
CREATE TABLE IF NOT EXISTS race_laps (
  race_id INTEGER NOT NULL REFERENCES races(id),
  car TEXT NOT NULL,
  n INTEGER NOT NULL,
  lap_s REAL NOT NULL,
  penalty_s REAL NOT NULL,
  at_s REAL NOT NULL,
  PRIMARY KEY (race_id, car, n)
);
CREATE TABLE IF NOT EXISTS race_corrections (
  race_id INTEGER NOT NULL REFERENCES races(id),
  id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  car TEXT,
  crossing INTEGER,
  race_s REAL,
  penalty TEXT,
  by TEXT NOT NULL,
  at TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (race_id, id)
);
CREATE TABLE IF NOT EXISTS racers (
  car TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  colour TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS competitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at TEXT NOT NULL,
  state TEXT NOT NULL
);
`;

/** Columns added since the first schema: a database from before gets them. */
const ADDED_COLUMNS: Array<[table: string, column: string, type: string]> = [
  ['races', 'kind', "TEXT NOT NULL DEFAULT 'race'"],
  ['races', 'minutes', 'REAL'],
  ['races', 'label', 'TEXT'],
  ['races', 'competition', 'INTEGER'],
  ['race_results', 'name', 'TEXT'],
  ['race_results', 'colour', 'TEXT'],
  ['race_results', 'penalty_s', 'REAL NOT NULL DEFAULT 0'],
];

interface RaceRow {
  id: number;
  kind: SessionKind;
  label: string | null;
  competition: number | null;
  track: string;
  laps: number;
  minutes: number | null;
  started_at: string;
  finished_at: string;
}

interface ResultRow {
  position: number;
  car: string;
  name: string | null;
  colour: string | null;
  status: EntryStatus;
  laps: number;
  total_s: number | null;
  gap_s: number | null;
  best_lap_s: number | null;
  last_lap_s: number | null;
  penalty_s: number;
  false_start: number;
  contacts: number;
}

interface CorrectionRow {
  id: number;
  kind: CorrectionKind;
  car: string | null;
  crossing: number | null;
  race_s: number | null;
  penalty: Correction['penalty'] | null;
  by: string;
  at: string;
  reason: string;
}

export class RaceStore {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string): RaceStore {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    for (const [table, column, type] of ADDED_COLUMNS) {
      const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
      if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
    return new RaceStore(db);
  }

  /** A new session's number (kept even if it never finishes, so numbers are never reused). */
  create(session: NewSession, at: Date): number {
    return Number(
      this.db
        .prepare('INSERT INTO races (track, laps, created_at, kind, minutes, label, competition) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(session.track, session.laps, at.toISOString(), session.kind, session.minutes ?? null, session.label ?? null, session.competition ?? null).lastInsertRowid,
    );
  }

  /** The session's result (again, after a correction: it replaces the last). */
  saveResult(id: number, startedAt: Date, finishedAt: Date, standings: readonly ResultStanding[], cars: readonly LapSheet[], corrections: readonly Correction[]): void {
    const result = this.db.prepare(
      'INSERT INTO race_results (race_id, position, car, name, colour, status, laps, total_s, gap_s, best_lap_s, last_lap_s, penalty_s, false_start, contacts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const lap = this.db.prepare('INSERT INTO race_laps (race_id, car, n, lap_s, penalty_s, at_s) VALUES (?, ?, ?, ?, ?, ?)');
    const correction = this.db.prepare('INSERT INTO race_corrections (race_id, id, kind, car, crossing, race_s, penalty, by, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('UPDATE races SET started_at = ?, finished_at = ? WHERE id = ?').run(startedAt.toISOString(), finishedAt.toISOString(), id);
      for (const table of ['race_results', 'race_laps', 'race_corrections']) this.db.prepare(`DELETE FROM ${table} WHERE race_id = ?`).run(id);
      for (const s of standings)
        result.run(id, s.position, s.car, s.name, s.colour, s.status, s.laps, s.totalS, s.gapS, s.bestLapS, s.lastLapS, s.penaltyS, s.falseStart ? 1 : 0, s.contacts);
      for (const car of cars) for (const l of car.laps) lap.run(id, car.car, l.n, l.lapS, l.penaltyS, l.atS);
      for (const c of corrections) correction.run(id, c.id, c.kind, c.car ?? null, c.crossing ?? null, c.raceS ?? null, c.penalty ?? null, c.by, c.at, c.reason);
    })();
  }

  /** Finished sessions, newest first. */
  results(limit: number): RaceResult[] {
    const races = this.db
      .prepare('SELECT id, kind, label, competition, track, laps, minutes, started_at, finished_at FROM races WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT ?')
      .all(limit) as RaceRow[];
    return races.map((race) => this.resultOf(race));
  }

  result(id: number): RaceResult | undefined {
    const race = this.db.prepare('SELECT id, kind, label, competition, track, laps, minutes, started_at, finished_at FROM races WHERE id = ? AND finished_at IS NOT NULL').get(id) as
      | RaceRow
      | undefined;
    return race && this.resultOf(race);
  }

  private resultOf(race: RaceRow): RaceResult {
    const rows = this.db.prepare('SELECT * FROM race_results WHERE race_id = ? ORDER BY position').all(race.id) as ResultRow[];
    const laps = this.db.prepare('SELECT car, n, lap_s, penalty_s, at_s FROM race_laps WHERE race_id = ? ORDER BY car, n').all(race.id) as Array<{
      car: string;
      n: number;
      lap_s: number;
      penalty_s: number;
      at_s: number;
    }>;
    const corrections = this.db.prepare('SELECT * FROM race_corrections WHERE race_id = ? ORDER BY id').all(race.id) as CorrectionRow[];
    return {
      id: race.id,
      kind: race.kind,
      label: race.label,
      competition: race.competition,
      track: race.track,
      laps: race.laps,
      minutes: race.minutes,
      startedAt: race.started_at,
      finishedAt: race.finished_at,
      standings: rows.map((r) => ({
        position: r.position,
        car: r.car,
        name: r.name ?? `Car ${r.car}`,
        colour: r.colour ?? '#888888',
        status: r.status,
        laps: r.laps,
        gapS: r.gap_s,
        lastLapS: r.last_lap_s,
        bestLapS: r.best_lap_s,
        totalS: r.total_s,
        penaltyS: r.penalty_s,
        falseStart: r.false_start === 1,
        contacts: r.contacts,
      })),
      cars: rows.map((r) => ({ car: r.car, laps: laps.filter((l) => l.car === r.car).map((l) => ({ n: l.n, lapS: l.lap_s, penaltyS: l.penalty_s, atS: l.at_s })) })),
      corrections: corrections.map((c) => ({
        id: c.id,
        kind: c.kind,
        ...(c.car !== null ? { car: c.car } : {}),
        ...(c.crossing !== null ? { crossing: c.crossing } : {}),
        ...(c.race_s !== null ? { raceS: c.race_s } : {}),
        ...(c.penalty !== null ? { penalty: c.penalty } : {}),
        by: c.by,
        at: c.at,
        reason: c.reason,
      })),
    };
  }

  racers(): Racer[] {
    return this.db.prepare('SELECT car, name, colour FROM racers ORDER BY rowid').all() as Racer[];
  }

  saveRacer(racer: Racer): void {
    this.db.prepare('INSERT INTO racers (car, name, colour) VALUES (?, ?, ?) ON CONFLICT(car) DO UPDATE SET name = excluded.name, colour = excluded.colour').run(racer.car, racer.name, racer.colour);
  }

  removeRacer(car: string): boolean {
    return this.db.prepare('DELETE FROM racers WHERE car = ?').run(car).changes > 0;
  }

  /** A new competition's number. */
  createCompetition(at: Date): number {
    return Number(this.db.prepare("INSERT INTO competitions (created_at, state) VALUES (?, '{}')").run(at.toISOString()).lastInsertRowid);
  }

  saveCompetition(state: CompetitionState): void {
    this.db.prepare('UPDATE competitions SET state = ? WHERE id = ?').run(JSON.stringify(state), state.id);
  }

  competitions(): CompetitionState[] {
    return (this.db.prepare("SELECT state FROM competitions WHERE state != '{}' ORDER BY id DESC").all() as Array<{ state: string }>).map((r) => JSON.parse(r.state) as CompetitionState);
  }

  close(): void {
    this.db.close();
  }
}
