/**
 * Training jobs in SQLite (WAL), shared by two processes: the `training` service runs them and the
 * `server` lists them, enqueues requests and asks for cancellation. Every change bumps a revision,
 * so a watcher can push exactly the jobs that changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isModelKind, MODEL_KINDS, type ModelKind } from '../../model/index.ts';
import type { ArenaRequest, ArenaResult, EpochPoint, JobAction, JobProgress, JobResult, JobState, JobTrigger, TrainingJob } from './types.ts';

export class JobStoreError extends Error {
  override name = 'JobStoreError';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS training_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tubs TEXT NOT NULL,
  kind TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('auto', 'request')),
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped')),
  history TEXT NOT NULL DEFAULT '[]',
  progress TEXT,
  result TEXT,
  error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  revision INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS training_jobs_state ON training_jobs (state, id);
CREATE INDEX IF NOT EXISTS training_jobs_revision ON training_jobs (revision);
CREATE TABLE IF NOT EXISTS training_seen_tubs (
  name TEXT PRIMARY KEY,
  seen_at TEXT NOT NULL
);
`;

/** Columns added since the first schema: a database from before gets them with their defaults. */
const ADDED_COLUMNS: Record<string, string> = {
  action: "TEXT NOT NULL DEFAULT 'train'",
  request: 'TEXT',
};

/** The state changes a job may make; anything else is a bug or a race, and is refused. */
const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  queued: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
  skipped: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

interface JobRow {
  id: number;
  action: JobAction;
  /** evaluate: {model}; arena: the ArenaRequest */
  request: string | null;
  tubs: string;
  kind: ModelKind;
  trigger: JobTrigger;
  state: JobState;
  history: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  cancel_requested: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  revision: number;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toJob(row: JobRow): TrainingJob {
  const common = {
    id: row.id,
    trigger: row.trigger,
    state: row.state,
    history: parseJson<EpochPoint[]>(row.history, []),
    progress: parseJson<JobProgress | null>(row.progress, null),
    error: row.error,
    cancelRequested: row.cancel_requested !== 0,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    revision: row.revision,
  };
  if (row.action === 'evaluate') return { ...common, action: 'evaluate', model: parseJson<{ model: string }>(row.request, { model: '' }).model, result: parseJson<JobResult | null>(row.result, null) };
  if (row.action === 'arena') {
    const arena = parseJson<ArenaRequest>(row.request, { models: ['', ''], track: '', laps: 1, seed: 0 });
    return { ...common, action: 'arena', arena, result: parseJson<ArenaResult | null>(row.result, null) };
  }
  return { ...common, action: 'train', tubs: parseJson<string[]>(row.tubs, []), kind: row.kind, result: parseJson<JobResult | null>(row.result, null) };
}

export type NewJob =
  | { action?: 'train'; tubs: readonly string[]; kind: ModelKind; trigger: JobTrigger }
  | { action: 'evaluate'; model: string; trigger: JobTrigger }
  | { action: 'arena'; arena: ArenaRequest; trigger: JobTrigger };

/** Cancelling: a queued job stops at once; a running one is asked to (its runner stops it). */
export type CancelOutcome = { outcome: 'cancelled' | 'requested'; job: TrainingJob } | { outcome: 'finished'; job: TrainingJob } | { outcome: 'missing' };

const NEXT_REVISION = '(SELECT COALESCE(MAX(revision), 0) + 1 FROM training_jobs)';

export class JobStore {
  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
  ) {}

  /** Opens (creating) the database file; `:memory:` for a private in-memory store. */
  static open(file: string, options: { now?: () => Date } = {}): JobStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file, { timeout: 5000 });
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    const present = new Set((db.prepare('PRAGMA table_info(training_jobs)').all() as { name: string }[]).map((c) => c.name));
    for (const [column, type] of Object.entries(ADDED_COLUMNS)) if (!present.has(column)) db.exec(`ALTER TABLE training_jobs ADD COLUMN ${column} ${type}`);
    return new JobStore(db, options.now ?? (() => new Date()));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private checkNew(job: NewJob): void {
    if (job.action === 'evaluate') {
      if (job.model.length === 0) throw new JobStoreError('an evaluation needs a model');
      return;
    }
    if (job.action === 'arena') {
      const { models, track, laps } = job.arena;
      if (models.length !== 2 || models.some((m) => m.length === 0)) throw new JobStoreError('the arena needs two models');
      if (track.length === 0 || !(Number.isInteger(laps) && laps >= 1)) throw new JobStoreError('the arena needs a track and a positive number of laps');
      return;
    }
    if (job.tubs.length === 0) throw new JobStoreError('a job needs at least one tub');
    if (!isModelKind(job.kind)) throw new JobStoreError(`unknown model kind '${job.kind}' (expected ${MODEL_KINDS.join(', ')})`);
  }

  private insert(job: NewJob, state: 'queued' | 'skipped', error: string | null): TrainingJob {
    this.checkNew(job);
    const at = this.stamp();
    const action: JobAction = job.action ?? 'train';
    const tubs = job.action === 'evaluate' ? [] : job.action === 'arena' ? (job.arena.tub ? [job.arena.tub] : []) : job.tubs;
    const kind = job.action === undefined || job.action === 'train' ? job.kind : '';
    const request = job.action === 'evaluate' ? { model: job.model } : job.action === 'arena' ? job.arena : null;
    const info = this.db
      .prepare(
        `INSERT INTO training_jobs (action, request, tubs, kind, trigger, state, error, created_at, finished_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${NEXT_REVISION})`,
      )
      .run(action, request ? JSON.stringify(request) : null, JSON.stringify(tubs), kind, job.trigger, state, error, at, state === 'skipped' ? at : null);
    return this.get(Number(info.lastInsertRowid))!;
  }

  enqueue(job: NewJob): TrainingJob {
    return this.insert(job, 'queued', null);
  }

  /** Records an automatic job that will not run, with the reason, so the job list says why. */
  skip(job: NewJob, reason: string): TrainingJob {
    return this.insert(job, 'skipped', reason);
  }

  get(id: number): TrainingJob | undefined {
    const row = this.db.prepare('SELECT * FROM training_jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  /** Newest first. */
  list(limit = 100): TrainingJob[] {
    return (this.db.prepare('SELECT * FROM training_jobs ORDER BY id DESC LIMIT ?').all(limit) as JobRow[]).map(toJob);
  }

  /** Jobs changed after `revision`, oldest change first. */
  changedSince(revision: number): TrainingJob[] {
    return (this.db.prepare('SELECT * FROM training_jobs WHERE revision > ? ORDER BY revision').all(revision) as JobRow[]).map(toJob);
  }

  latestRevision(): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(revision), 0) AS r FROM training_jobs').get() as { r: number };
    return row.r;
  }

  /** The job to run next: the oldest queued one. */
  nextQueued(): TrainingJob | undefined {
    const row = this.db.prepare("SELECT * FROM training_jobs WHERE state = 'queued' ORDER BY id LIMIT 1").get() as JobRow | undefined;
    return row ? toJob(row) : undefined;
  }

  running(): TrainingJob[] {
    return (this.db.prepare("SELECT * FROM training_jobs WHERE state = 'running' ORDER BY id").all() as JobRow[]).map(toJob);
  }

  private transition(id: number, to: JobState, fields: { result?: JobResult | ArenaResult; error?: string }): TrainingJob {
    const job = this.get(id);
    if (!job) throw new JobStoreError(`job ${id} does not exist`);
    if (!canTransition(job.state, to)) throw new JobStoreError(`job ${id} is ${job.state}; it cannot become ${to}`);
    const at = this.stamp();
    this.db
      .prepare(
        `UPDATE training_jobs SET state = ?, started_at = COALESCE(?, started_at), finished_at = ?, result = COALESCE(?, result), error = COALESCE(?, error), revision = ${NEXT_REVISION} WHERE id = ? AND state = ?`,
      )
      .run(to, to === 'running' ? at : null, to === 'running' ? null : at, fields.result ? JSON.stringify(fields.result) : null, fields.error ?? null, id, job.state);
    return this.get(id)!;
  }

  start(id: number): TrainingJob {
    return this.transition(id, 'running', {});
  }

  succeed(id: number, result: JobResult | ArenaResult): TrainingJob {
    return this.transition(id, 'succeeded', { result });
  }

  fail(id: number, error: string): TrainingJob {
    return this.transition(id, 'failed', { error });
  }

  /** The runner stopped a running job on request. */
  cancelled(id: number, reason = 'cancelled on request'): TrainingJob {
    return this.transition(id, 'cancelled', { error: reason });
  }

  requestCancel(id: number): CancelOutcome {
    const job = this.get(id);
    if (!job) return { outcome: 'missing' };
    if (job.state === 'queued') return { outcome: 'cancelled', job: this.transition(id, 'cancelled', { error: 'cancelled before it started' }) };
    if (job.state !== 'running') return { outcome: 'finished', job };
    this.db.prepare(`UPDATE training_jobs SET cancel_requested = 1, revision = ${NEXT_REVISION} WHERE id = ? AND state = 'running'`).run(id);
    return { outcome: 'requested', job: this.get(id)! };
  }

  /** Where a running job is; an epoch point is appended to its loss history. */
  report(id: number, progress: JobProgress, epoch?: EpochPoint): void {
    const job = this.get(id);
    if (!job || job.state !== 'running') return;
    const history = epoch ? [...job.history.filter((p) => p.epoch !== epoch.epoch), epoch] : job.history;
    this.db
      .prepare(`UPDATE training_jobs SET progress = ?, history = ?, revision = ${NEXT_REVISION} WHERE id = ? AND state = 'running'`)
      .run(JSON.stringify(progress), JSON.stringify(history), id);
  }

  /** After a restart nothing is running: a job left `running` was interrupted. */
  failInterrupted(reason: string): TrainingJob[] {
    return this.running().map((job) => this.fail(job.id, reason));
  }

  hasSeenTub(name: string): boolean {
    return this.db.prepare('SELECT 1 AS one FROM training_seen_tubs WHERE name = ?').get(name) !== undefined;
  }

  markTubSeen(name: string): void {
    this.db.prepare('INSERT OR IGNORE INTO training_seen_tubs (name, seen_at) VALUES (?, ?)').run(name, this.stamp());
  }

  seenTubCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM training_seen_tubs').get() as { n: number }).n;
  }
}
