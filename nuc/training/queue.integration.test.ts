import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { validateConfig, type TrainingConfig } from '../../runtime/index.ts';
import { JobStore } from './job-store.ts';
import { EVALUATION_FILE } from './model-status.ts';
import { TrainingQueue } from './queue.ts';
import { workerRunner, type JobRunner, type RunOutcome } from './runner.ts';
import type { TrainingJob, TrainJob } from './types.ts';
import { writeTestTub } from '../../test/support/tubs.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nuc-training-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const log = { info() {}, warn() {}, error() {} };

const config: TrainingConfig = {
  ...validateConfig({}, 'the defaults').nuc.training,
  autoTrain: false,
  kind: 'fast',
  epochs: 2,
  batchSize: 8,
  minRecords: 10,
  evalLaps: 1,
  evalSecondsPerLap: 2,
  tubQuietMs: 0,
  pollMs: 60_000,
  nice: 10,
};

/** The job as a training job (what these tests enqueue), failing the test if it is another kind. */
function trained(job: TrainingJob | undefined): TrainJob {
  if (job?.action !== 'train') throw new Error(`expected a training job, got ${JSON.stringify(job)}`);
  return job;
}

let n = 0;
function setup(overrides: Partial<TrainingConfig> = {}, runner: JobRunner = workerRunner({ nice: config.nice })) {
  const dir = path.join(root, `run${++n}`);
  const tubsDir = path.join(dir, 'tubs');
  const modelsDir = path.join(dir, 'models');
  fs.mkdirSync(tubsDir, { recursive: true });
  const store = JobStore.open(path.join(dir, 'training.sqlite'));
  const queue = new TrainingQueue({ store, tubsDir, modelsDir, config: { ...config, ...overrides }, runner, log });
  cleanups.push(async () => {
    await queue.stop();
    store.close();
  });
  return { store, queue, tubsDir, modelsDir };
}
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The CPU priorities (nice values) of this process's child processes. */
function childPriorities(): number[] {
  const priorities: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // the parent pid is the second field after the parenthesised command name
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) priorities.push(os.getPriority(Number(entry)));
    } catch {
      // the process has gone
    }
  }
  return priorities;
}

/** A runner that finishes only when the test says so. */
function manualRunner() {
  const runs: { spec: Parameters<JobRunner>[0]; finish: (o: RunOutcome) => void; cancelled: boolean }[] = [];
  const runner: JobRunner = (spec) => {
    let finish!: (o: RunOutcome) => void;
    const done = new Promise<RunOutcome>((r) => (finish = r));
    const run = { spec, finish, cancelled: false };
    runs.push(run);
    return { done, cancel: () => ((run.cancelled = true), finish({ outcome: 'cancelled' })) };
  };
  return { runner, runs };
}

describe('TrainingQueue with the worker process', () => {
  it('trains a requested job, evaluates it and lets the gate reject a model that cannot drive, with the reasons', async () => {
    const { store, queue, tubsDir, modelsDir } = setup();
    await writeTestTub(path.join(tubsDir, 'session1'), 30);
    const job = store.enqueue({ tubs: ['session1'], kind: 'fast', trigger: 'request' });
    await queue.tick();
    expect(store.get(job.id)?.state).toBe('running');
    await queue.idle();

    const done = trained(store.get(job.id));
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(done.history.map((p) => p.epoch)).toEqual([1, 2]);
    const result = done.result!;
    expect(result.tracks.map((t) => t.track)).toEqual(['default', 'twisty']);
    // 30 frames of colour bars, two epochs, 2 s per lap: it finishes no lap, and the gate says so per track
    expect(result.status).toBe('rejected');
    expect(result.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^default: 0 clean laps of 1, the gate needs 1/), expect.stringMatching(/^twisty: 0 clean laps of 1/)]));
    const modelDir = path.join(modelsDir, result.model);
    const metadata = JSON.parse(fs.readFileSync(path.join(modelDir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ kind: 'fast', tubs: ['session1'] });
    expect(metadata.metrics.history).toHaveLength(2);
    const evaluation = JSON.parse(fs.readFileSync(path.join(modelDir, EVALUATION_FILE), 'utf8'));
    expect(evaluation).toMatchObject({ status: 'rejected', reasons: result.reasons, job: job.id, evalLaps: 1, modelSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(evaluation.valLoss).toBeCloseTo(result.valLoss!);
    // nothing half-saved left beside it
    expect(fs.readdirSync(modelsDir)).toEqual([result.model]);

    // evaluated again against a gate it meets (no laps needed, off-track allowed): now a candidate
    const lenient = setup({ gate: { minCleanLaps: 0, rejectOffTrack: false, tracks: [] } });
    fs.cpSync(modelDir, path.join(lenient.modelsDir, result.model), { recursive: true });
    const again = lenient.store.enqueue({ action: 'evaluate', model: result.model, trigger: 'request' });
    await lenient.queue.tick();
    await lenient.queue.idle();
    const evaluated = lenient.store.get(again.id)!;
    expect(evaluated).toMatchObject({ action: 'evaluate', state: 'succeeded', result: { model: result.model, status: 'candidate', reasons: [] } });
    expect(JSON.parse(fs.readFileSync(path.join(lenient.modelsDir, result.model, EVALUATION_FILE), 'utf8'))).toMatchObject({ status: 'candidate', job: again.id });
  }, 120_000);

  it('trains on the readable tubs and records, reporting the tub and the image it skipped', async () => {
    const { store, queue, tubsDir } = setup();
    await writeTestTub(path.join(tubsDir, 'good'), 30);
    // a corrupt image in an otherwise good tub, and a tub from a newer format
    fs.writeFileSync(path.join(tubsDir, 'good', 'images', fs.readdirSync(path.join(tubsDir, 'good', 'images')).sort()[4]!), 'not a jpeg');
    await writeTestTub(path.join(tubsDir, 'future'), 5);
    const manifestFile = path.join(tubsDir, 'future', 'manifest.json');
    const lines = fs.readFileSync(manifestFile, 'utf8').split('\n');
    fs.writeFileSync(manifestFile, lines.map((line, i) => (i === 3 ? line.replace(/"format_version":\s*\d+/, '"format_version": 99') : line)).join('\n'));
    const job = store.enqueue({ tubs: ['good', 'future'], kind: 'fast', trigger: 'request' });
    await queue.tick();
    await queue.idle();
    const done = trained(store.get(job.id));
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(done.result!.skippedRecords).toBe(1);
    expect(done.result!.warnings).toEqual([expect.stringMatching(/future.*format.*99/), expect.stringMatching(/tub good record \d+: cannot decode frame image/)]);
  }, 90_000);

  it('trains at the configured CPU priority, in the background by default', async () => {
    const defaultNice = validateConfig({}, 'the defaults').nuc.training.nice;
    // A worker only ever lowers its priority, so under a test runner that is itself niced (as CI may be)
    // the expected value is the lower of the two priorities.
    const own = os.getPriority();
    for (const [nice, expected] of [[defaultNice, Math.max(10, own)], [3, Math.max(3, own)]] as const) {
      const { store, queue, tubsDir } = setup({}, workerRunner({ nice }));
      await writeTestTub(path.join(tubsDir, 'session1'), 30);
      const job = store.enqueue({ tubs: ['session1'], kind: 'fast', trigger: 'request' });
      await queue.tick();
      // the worker lowers its priority once it has its job, before it reports any progress
      await vi.waitFor(() => expect(store.get(job.id)?.progress).not.toBeNull(), { timeout: 30_000, interval: 50 });
      expect(childPriorities()).toContain(expected);
      store.requestCancel(job.id);
      await queue.tick();
      await queue.idle();
    }
  }, 90_000);

  it('fails a job whose tub cannot be read, naming the tub', async () => {
    const { store, queue, tubsDir } = setup();
    fs.mkdirSync(path.join(tubsDir, 'broken'));
    fs.writeFileSync(path.join(tubsDir, 'broken', 'manifest.json'), '{not json');
    const job = store.enqueue({ tubs: ['broken'], kind: 'fast', trigger: 'request' });
    await queue.tick();
    await queue.idle();
    expect(store.get(job.id)).toMatchObject({ state: 'failed' });
    expect(store.get(job.id)!.error).toMatch(/tub broken/);
  }, 60_000);
});

describe('TrainingQueue scheduling', () => {
  it('runs one job at a time, then the next', async () => {
    const { runner, runs } = manualRunner();
    const { store, queue } = setup({}, runner);
    const a = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    const b = store.enqueue({ tubs: ['b'], kind: 'linear', trigger: 'request' });
    await queue.tick();
    await queue.tick();
    expect(runs).toHaveLength(1);
    expect(store.get(b.id)?.state).toBe('queued');
    runs[0]!.finish({ outcome: 'failed', error: 'boom' });
    await queue.idle();
    await queue.tick();
    expect(store.get(a.id)).toMatchObject({ state: 'failed', error: 'boom' });
    expect(runs.map((r) => (r.spec.action === 'train' ? r.spec.kind : r.spec.action))).toEqual(['fast', 'linear']);
    expect(store.get(b.id)?.state).toBe('running');
  });

  it('stops a running job when cancellation is requested', async () => {
    const { runner, runs } = manualRunner();
    const { store, queue } = setup({}, runner);
    const job = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    await queue.tick();
    store.requestCancel(job.id);
    await queue.tick();
    await queue.idle();
    expect(runs[0]!.cancelled).toBe(true);
    expect(store.get(job.id)?.state).toBe('cancelled');
  });

  it('marks a job interrupted by a restart failed with the reason', async () => {
    const { store, queue } = setup({}, manualRunner().runner);
    const job = store.enqueue({ tubs: ['a'], kind: 'fast', trigger: 'request' });
    store.start(job.id);
    queue.start();
    expect(store.get(job.id)).toMatchObject({ state: 'failed' });
    expect(store.get(job.id)!.error).toMatch(/interrupted/);
  });

  it('queues a job when a recording session ends, and skips a session too short to train on', async () => {
    const { runner, runs } = manualRunner();
    const { store, queue, tubsDir } = setup({ autoTrain: true }, runner);
    await writeTestTub(path.join(tubsDir, 'before'), 3);
    await queue.tick(); // the first pass takes what is there as already seen
    expect(store.list()).toEqual([]);
    await writeTestTub(path.join(tubsDir, '2025-01-01_10-00-00_car1'), 12);
    await writeTestTub(path.join(tubsDir, '2025-01-01_10-05-00_car2'), 4);
    await queue.tick();
    const jobs = store.list().map(trained);
    expect(jobs.find((j) => j.tubs[0] === '2025-01-01_10-05-00_car2')).toMatchObject({ state: 'skipped', trigger: 'auto' });
    expect(jobs.find((j) => j.tubs[0] === '2025-01-01_10-05-00_car2')!.error).toMatch(/has 4 records; at least 10/);
    expect(jobs.find((j) => j.tubs[0] === '2025-01-01_10-00-00_car1')).toMatchObject({ state: 'running', trigger: 'auto', kind: 'fast' });
    expect(runs).toHaveLength(1);
    await queue.tick();
    expect(store.list()).toHaveLength(2);
  });
});
