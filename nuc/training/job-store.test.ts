import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { canTransition, JobStore, JobStoreError } from './job-store.ts';
import type { JobProgress, JobResult } from './types.ts';

const stores: JobStore[] = [];
function open(): JobStore {
  let t = Date.parse('2025-01-01T00:00:00Z');
  const store = JobStore.open(':memory:', { now: () => new Date((t += 1000)) });
  stores.push(store);
  return store;
}
afterEach(() => stores.splice(0).forEach((s) => s.close()));

const progress = (epoch: number): JobProgress => ({ phase: 'training', epoch, epochs: 3, loss: 1 / epoch, valLoss: 2 / epoch, elapsedS: epoch, detail: '' });
const result: JobResult = { model: 'm', modelDir: '/m', kind: 'fast', status: 'rejected', reasons: ['default: 0 clean laps of 2, the gate needs 1'], valLoss: 0.1, bestEpoch: 1, epochs: 1, trainSamples: 8, validationSamples: 2, backend: 'wasm', durationS: 3, tracks: [] };

describe('JobStore', () => {
  it('runs a job through queued → running → succeeded with its loss history and result', () => {
    const store = open();
    const job = store.enqueue({ tubs: ['a', 'b'], kind: 'fast', trigger: 'request' });
    expect(job).toMatchObject({ state: 'queued', tubs: ['a', 'b'], kind: 'fast', history: [], startedAt: null });
    expect(store.nextQueued()?.id).toBe(job.id);
    expect(store.start(job.id).state).toBe('running');
    expect(store.nextQueued()).toBeUndefined();
    store.report(job.id, progress(1), { epoch: 1, loss: 1, valLoss: 2 });
    store.report(job.id, progress(2), { epoch: 2, loss: 0.5, valLoss: 1 });
    store.report(job.id, { ...progress(2), phase: 'evaluating' });
    const done = store.succeed(job.id, result);
    expect(done.state).toBe('succeeded');
    expect(done.history.map((p) => p.epoch)).toEqual([1, 2]);
    expect(done.progress?.phase).toBe('evaluating');
    expect(done.result).toEqual(result);
    expect(done.finishedAt! > done.startedAt!).toBe(true);
  });

  it('takes jobs oldest first and lists newest first', () => {
    const store = open();
    const first = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'auto' });
    const second = store.enqueue({ tubs: ['b'], kind: 'linear', trigger: 'request' });
    expect(store.nextQueued()?.id).toBe(first.id);
    expect(store.list().map((j) => j.id)).toEqual([second.id, first.id]);
  });

  it('refuses illegal state changes and bad new jobs with clear messages', () => {
    const store = open();
    const job = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    expect(() => store.succeed(job.id, result)).toThrow(/job \d+ is queued; it cannot become succeeded/);
    expect(() => store.fail(999, 'x')).toThrow(/job 999 does not exist/);
    expect(() => store.enqueue({ tubs: [], kind: 'fast', trigger: 'request' })).toThrow(JobStoreError);
    expect(() => store.enqueue({ tubs: ['a'], kind: 'huge' as never, trigger: 'request' })).toThrow(/unknown model kind 'huge'/);
    expect(canTransition('succeeded', 'running')).toBe(false);
  });

  it('cancels a queued job at once and asks a running one to stop', () => {
    const store = open();
    const queued = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    const running = store.enqueue({ tubs: ['b'], kind: 'fast', trigger: 'request' });
    expect(store.requestCancel(queued.id)).toMatchObject({ outcome: 'cancelled', job: { state: 'cancelled' } });
    store.start(running.id);
    expect(store.requestCancel(running.id)).toMatchObject({ outcome: 'requested', job: { state: 'running', cancelRequested: true } });
    expect(store.cancelled(running.id).state).toBe('cancelled');
    expect(store.requestCancel(running.id).outcome).toBe('finished');
    expect(store.requestCancel(12345).outcome).toBe('missing');
  });

  it('marks jobs left running by a previous process failed, with the reason', () => {
    const store = open();
    const job = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    store.start(job.id);
    expect(store.failInterrupted('interrupted by a restart').map((j) => j.id)).toEqual([job.id]);
    expect(store.get(job.id)).toMatchObject({ state: 'failed', error: 'interrupted by a restart' });
  });

  it('records skipped automatic jobs with the reason and remembers seen tubs', () => {
    const store = open();
    const skipped = store.skip({ tubs: ['short'], kind: 'fast', trigger: 'auto' }, 'tub short has 3 records');
    expect(skipped).toMatchObject({ state: 'skipped', error: 'tub short has 3 records' });
    expect(store.nextQueued()).toBeUndefined();
    expect(store.hasSeenTub('short')).toBe(false);
    store.markTubSeen('short');
    store.markTubSeen('short');
    expect(store.hasSeenTub('short')).toBe(true);
    expect(store.seenTubCount()).toBe(1);
  });

  it('reports exactly the jobs changed since a revision', () => {
    const store = open();
    const a = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    store.enqueue({ tubs: ['b'], kind: 'fast', trigger: 'request' });
    const mark = store.latestRevision();
    expect(store.changedSince(mark)).toEqual([]);
    store.start(a.id);
    store.report(a.id, progress(1), { epoch: 1, loss: 1, valLoss: 1 });
    const changed = store.changedSince(mark);
    expect(changed.map((j) => j.id)).toEqual([a.id]);
    expect(changed[0]!.history).toHaveLength(1);
  });

  it('keeps evaluation and arena jobs with what they were asked to do', () => {
    const store = open();
    const evaluation = store.enqueue({ action: 'evaluate', model: 'fast-1', trigger: 'request' });
    expect(evaluation).toMatchObject({ action: 'evaluate', model: 'fast-1', state: 'queued', result: null });
    const arena = store.enqueue({ action: 'arena', arena: { models: ['a', 'b'], track: 'twisty', laps: 2, seed: 5, tub: 't', from: 40 }, trigger: 'request' });
    expect(store.get(arena.id)).toMatchObject({ action: 'arena', arena: { models: ['a', 'b'], track: 'twisty', laps: 2, seed: 5, tub: 't', from: 40 } });
    expect(() => store.enqueue({ action: 'arena', arena: { models: ['a', ''], track: 'x', laps: 1, seed: 0 }, trigger: 'request' })).toThrow(/two models/);
    expect(() => store.enqueue({ action: 'evaluate', model: '', trigger: 'request' })).toThrow(/needs a model/);
  });

  it('opens a database from before job actions existed: its jobs are training jobs', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'job-store-')), 'training.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE training_jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, tubs TEXT NOT NULL, kind TEXT NOT NULL, trigger TEXT NOT NULL, state TEXT NOT NULL,
      history TEXT NOT NULL DEFAULT '[]', progress TEXT, result TEXT, error TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
      started_at TEXT, finished_at TEXT, revision INTEGER NOT NULL)`);
    old.prepare("INSERT INTO training_jobs (tubs, kind, trigger, state, created_at, revision) VALUES ('[\"s1\"]', 'fast', 'auto', 'queued', '2025-01-01T00:00:00Z', 1)").run();
    old.close();
    const store = JobStore.open(file);
    stores.push(store);
    expect(store.list()).toEqual([expect.objectContaining({ action: 'train', tubs: ['s1'], kind: 'fast', state: 'queued' })]);
    expect(store.enqueue({ action: 'evaluate', model: 'm', trigger: 'request' }).action).toBe('evaluate');
  });
});
