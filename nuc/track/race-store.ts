/**
 * Race results in the NUC's SQLite (`<dataDir>/races.sqlite`, WAL): each race that finished, with
 * every car's classification, for the audience view's results list.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EntryStatus, Standing } from './race.ts';

export const RACES_DB = 'races.sqlite';

export interface RaceResult {
  id: number;
  track: string;
  laps: number;
  /** ISO times */
  startedAt: string;
  finishedAt: string;
  standings: Standing[];
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
`;

interface RaceRow {
  id: number;
  track: string;
  laps: number;
  started_at: string;
  finished_at: string;
}

interface ResultRow {
  race_id: number;
  position: number;
  car: string;
  status: EntryStatus;
  laps: number;
  total_s: number | null;
  gap_s: number | null;
  best_lap_s: number | null;
  last_lap_s: number | null;
  false_start: number;
  contacts: number;
}

export class RaceStore {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string): RaceStore {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    return new RaceStore(db);
  }

  /** A new race's number (kept even if it never finishes, so numbers are never reused). */
  create(track: string, laps: number, at: Date): number {
    return Number(this.db.prepare('INSERT INTO races (track, laps, created_at) VALUES (?, ?, ?)').run(track, laps, at.toISOString()).lastInsertRowid);
  }

  saveResult(id: number, startedAt: Date, finishedAt: Date, standings: readonly Standing[]): void {
    const insert = this.db.prepare(
      'INSERT OR REPLACE INTO race_results (race_id, position, car, status, laps, total_s, gap_s, best_lap_s, last_lap_s, false_start, contacts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db.prepare('UPDATE races SET started_at = ?, finished_at = ? WHERE id = ?').run(startedAt.toISOString(), finishedAt.toISOString(), id);
      for (const s of standings) insert.run(id, s.position, s.car, s.status, s.laps, s.totalS, s.gapS, s.bestLapS, s.lastLapS, s.falseStart ? 1 : 0, s.contacts);
    })();
  }

  /** Finished races, newest first. */
  results(limit: number): RaceResult[] {
    const races = this.db.prepare('SELECT id, track, laps, started_at, finished_at FROM races WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT ?').all(limit) as RaceRow[];
    const rows = this.db.prepare('SELECT * FROM race_results WHERE race_id = ? ORDER BY position');
    return races.map((race) => ({
      id: race.id,
      track: race.track,
      laps: race.laps,
      startedAt: race.started_at,
      finishedAt: race.finished_at,
      standings: (rows.all(race.id) as ResultRow[]).map((r) => ({
        position: r.position,
        car: r.car,
        status: r.status,
        laps: r.laps,
        gapS: r.gap_s,
        lastLapS: r.last_lap_s,
        bestLapS: r.best_lap_s,
        totalS: r.total_s,
        falseStart: r.false_start === 1,
        contacts: r.contacts,
      })),
    }));
  }

  close(): void {
    this.db.close();
  }
}
