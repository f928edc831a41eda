/**
 * The training service's loop: one job at a time from the store, cancellation requests honoured,
 * jobs left running by a previous process marked failed, and (with autoTrain) a job per finished
 * recording session.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { TrainingConfig } from '../../runtime/index.ts';
import { COSINE_SCHEDULE, DONKEYCAR_SCHEDULE } from '../../trainer/index.ts';
import { summarizeTub } from '../../tub/index.ts';
import type { EvaluationPlan } from './evaluation.ts';
import type { JobStore } from './job-store.ts';
import { modelName } from './names.ts';
import type { PipelineSpec } from './pipeline.ts';
import type { TrainingJob } from './types.ts';
import type { JobRunner, RunHandle } from './runner.ts';
import { newlyClosedTubs, scanTubs } from './tub-watch.ts';

export const INTERRUPTED_REASON = 'interrupted: the training service stopped or restarted while this job ran; request it again';

export interface TrainingQueueOptions {
  store: JobStore;
  /** <dataDir>/tubs */
  tubsDir: string;
  /** <dataDir>/models */
  modelsDir: string;
  config: TrainingConfig;
  runner: JobRunner;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** cars reporting `recording: true` (from the bus telemetry) */
  recordingCars?: () => ReadonlySet<string>;
  now?: () => number;
}

export class TrainingQueue {
  private current: { id: number; handle: RunHandle } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private baselined = false;

  constructor(private readonly options: TrainingQueueOptions) {}

  /** Marks interrupted jobs failed and starts polling. */
  start(): void {
    for (const job of this.options.store.failInterrupted(INTERRUPTED_REASON)) this.options.log.warn({ job: job.id }, 'training job was interrupted by a restart; marked failed');
    this.timer = setInterval(() => void this.tick(), this.options.config.pollMs);
    void this.tick();
  }

  /** One pass: notice finished sessions, honour a cancel request, start the next job. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (this.options.config.autoTrain) await this.enqueueClosedTubs();
      this.checkCancel();
      this.startNext();
    } catch (error) {
      this.options.log.error({ err: error }, 'training queue pass failed');
    } finally {
      this.ticking = false;
    }
  }

  /** The job running now, if any. */
  runningJob(): number | undefined {
    return this.current?.id;
  }

  /** Resolves when no job is running (tests). */
  async idle(): Promise<void> {
    while (this.current) await this.current.handle.done.then(() => new Promise((r) => setImmediate(r)));
  }

  /** Stops polling; a running job is stopped and marked failed (it did not finish). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const running = this.current;
    if (running) {
      running.handle.cancel();
      await running.handle.done;
    }
  }

  private async enqueueClosedTubs(): Promise<void> {
    const { store, config, tubsDir } = this.options;
    const tubs = await scanTubs(tubsDir);
    // A fresh database starts from what is there: old sessions are not all trained at once.
    if (!this.baselined) {
      this.baselined = true;
      if (store.seenTubCount() === 0 && store.list(1).length === 0) {
        for (const tub of tubs) store.markTubSeen(tub.name);
        return;
      }
    }
    const closed = newlyClosedTubs(tubs, {
      nowMs: (this.options.now ?? Date.now)(),
      quietMs: config.tubQuietMs,
      recordingCars: this.options.recordingCars?.() ?? new Set(),
      alreadySeen: (name) => store.hasSeenTub(name),
    });
    for (const name of closed) {
      store.markTubSeen(name);
      const summary = await summarizeTub(path.join(tubsDir, name));
      const job = { tubs: [name], kind: config.kind, trigger: 'auto' as const };
      if (summary.error) {
        store.skip(job, `tub ${name} cannot be read: ${summary.error}`);
      } else if (summary.records < config.minRecords) {
        store.skip(job, `tub ${name} has ${summary.records} records; at least ${config.minRecords} are needed to train (nuc.training.minRecords)`);
      } else {
        const queued = store.enqueue(job);
        this.options.log.info({ job: queued.id, tub: name, records: summary.records }, 'recording session ended; training queued');
      }
    }
  }

  private checkCancel(): void {
    if (!this.current) return;
    if (this.options.store.get(this.current.id)?.cancelRequested) this.current.handle.cancel();
  }

  private startNext(): void {
    if (this.current) return;
    const { store, config } = this.options;
    const next = store.nextQueued();
    if (!next) return;
    const job = store.start(next.id);
    const spec = this.specFor(job, config);
    this.options.log.info({ job: job.id, action: job.action, ...(job.action === 'train' ? { tubs: job.tubs, kind: job.kind } : {}) }, `${job.action} job started`);
    const handle = this.options.runner(spec, (progress, epoch) => store.report(job.id, progress, epoch));
    this.current = { id: job.id, handle };
    void handle.done.then((outcome) => {
      const cancelRequested = store.get(job.id)?.cancelRequested ?? false;
      try {
        if (outcome.outcome === 'succeeded') {
          store.succeed(job.id, outcome.result);
          const verdict = 'status' in outcome.result ? { model: outcome.result.model, status: outcome.result.status, reasons: outcome.result.reasons } : {};
          this.options.log.info({ job: job.id, action: job.action, ...verdict }, `${job.action} job finished`);
        } else if (outcome.outcome === 'failed') {
          store.fail(job.id, outcome.error);
          this.options.log.warn({ job: job.id, action: job.action, error: outcome.error }, `${job.action} job failed`);
        } else if (cancelRequested) {
          store.cancelled(job.id);
        } else {
          store.fail(job.id, INTERRUPTED_REASON);
        }
      } finally {
        this.current = undefined;
        if (this.timer) void this.tick();
      }
    });
  }

  /** What the worker runs for a job: its action with the configured evaluation. */
  private specFor(job: TrainingJob, config: TrainingConfig): PipelineSpec {
    const { modelsDir, tubsDir } = this.options;
    const evaluation: EvaluationPlan = { tracks: config.evalTracks, laps: config.evalLaps, secondsPerLap: config.evalSecondsPerLap, gate: config.gate };
    if (job.action === 'evaluate') return { action: 'evaluate', jobId: job.id, model: job.model, modelDir: path.join(modelsDir, job.model), evaluation };
    if (job.action === 'arena') {
      const { models, track, laps, seed, tub, from } = job.arena;
      return {
        action: 'arena',
        jobId: job.id,
        models: [
          { name: models[0], dir: path.join(modelsDir, models[0]) },
          { name: models[1], dir: path.join(modelsDir, models[1]) },
        ],
        track,
        laps,
        seed,
        secondsPerLap: config.evalSecondsPerLap,
        ...(tub ? { tub: { name: tub, dir: path.join(tubsDir, tub), from: from ?? 0 } } : {}),
      };
    }
    return {
      action: 'train',
      jobId: job.id,
      tubs: job.tubs.map((name) => ({ name, dir: path.join(tubsDir, name) })),
      kind: job.kind,
      epochs: config.epochs,
      batchSize: config.batchSize,
      seed: job.id,
      minRecords: config.minRecords,
      crop: config.crop,
      schedule: config.schedule === 'cosine' ? COSINE_SCHEDULE : DONKEYCAR_SCHEDULE,
      evaluation,
      modelsDir,
      modelName: modelName(job.kind, job.id, new Date()),
    };
  }
}
