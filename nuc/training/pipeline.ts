/**
 * One job, start to finish, inside the worker process (the progress callback is how the service
 * hears about it):
 * - `train`: read the tubs (each through its saved filter), train, save, evaluate closed loop on
 *   every evaluation track, and let the candidate gate judge it;
 * - `evaluate`: the same evaluation and verdict for a model already saved (trained from the CLI,
 *   copied in, or evaluated before the gate existed);
 * - `arena`: two models on one track with one seed, side by side (./arena.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadModel, saveModel, type BackendName, type Crop, type ModelKind } from '../../model/index.ts';
import { selectTrainingBackend, trainFromRecords, validationLoss, type LearningSchedule } from '../../trainer/index.ts';
import { trainingRecords, type TubRecord } from '../../tub/index.ts';
import { runArena, type ArenaSpec } from './arena.ts';
import { driveTracks, recordEvaluation, type EvaluationPlan } from './evaluation.ts';
import type { ArenaResult, EpochPoint, JobProgress, JobResult } from './types.ts';

export interface TrainSpec {
  action: 'train';
  jobId: number;
  /** tub name → its folder */
  tubs: { name: string; dir: string }[];
  kind: ModelKind;
  epochs: number;
  batchSize: number;
  seed: number;
  minRecords: number;
  crop: Crop;
  schedule?: LearningSchedule;
  evaluation: EvaluationPlan;
  modelsDir: string;
  modelName: string;
  backend?: BackendName;
}

export interface EvaluateSpec {
  action: 'evaluate';
  jobId: number;
  model: string;
  modelDir: string;
  evaluation: EvaluationPlan;
  backend?: BackendName;
}

export type PipelineSpec = TrainSpec | EvaluateSpec | ArenaSpec;

export type ProgressReport = (progress: JobProgress, epoch?: EpochPoint) => void;

/** A failure the user can act on (the message names the tub, the model or the numbers involved). */
export class PipelineError extends Error {
  override name = 'PipelineError';
}

interface PipelineRecords {
  records: TubRecord[];
  /** what was skipped and why: refused tubs, bad records (the first few by name) */
  warnings: string[];
  skippedRecords: number;
}

const MAX_WARNINGS = 20;

/** A job's clock and its progress reports. */
function progressOf(epochs: number, report: ProgressReport) {
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const progress = (partial: Partial<JobProgress> & Pick<JobProgress, 'phase'>): JobProgress => ({
    epoch: 0,
    epochs,
    loss: null,
    valLoss: null,
    detail: '',
    ...partial,
    elapsedS: elapsedS(),
  });
  return { elapsedS, send: (partial: Partial<JobProgress> & Pick<JobProgress, 'phase'>, epoch?: EpochPoint) => report(progress(partial), epoch) };
}

/** Reads the job's tubs through their filters; a refused tub or a bad record is skipped and reported, training goes on when enough remain. */
async function readRecords(spec: TrainSpec): Promise<PipelineRecords> {
  for (const tub of spec.tubs) {
    const stat = await fs.stat(tub.dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new PipelineError(`tub ${tub.name} does not exist (${tub.dir})`);
  }
  const read = await trainingRecords(
    spec.tubs.map((t) => t.dir),
    { minRecords: 0 },
  );
  const warnings = read.issues.slice(0, MAX_WARNINGS).map((issue) => issue.message);
  if (read.records.length < spec.minRecords) {
    const names = spec.tubs.map((t) => t.name).join(', ');
    const why = warnings.length ? `; ${warnings.slice(0, 3).join('; ')}` : '';
    throw new PipelineError(
      `too few records in tub ${names}: ${read.records.length} kept by the tubs' filters (${read.filteredOut} filtered out, ${read.skipped} bad, ${read.deleted} deleted), at least ${spec.minRecords} needed${why}`,
    );
  }
  return { records: read.records, warnings, skippedRecords: read.skipped };
}

async function runTraining(spec: TrainSpec, report: ProgressReport): Promise<JobResult> {
  const clock = progressOf(spec.epochs, report);
  clock.send({ phase: 'loading', detail: `reading ${spec.tubs.length} tub(s)` });
  const { records, warnings, skippedRecords } = await readRecords(spec);
  let last: EpochPoint | undefined;
  const skippedNote = warnings.length > 0 ? `; skipped: ${warnings[0]}${warnings.length > 1 ? ` and ${warnings.length - 1} more` : ''}` : '';
  const trained = await trainFromRecords({
    records,
    tubs: spec.tubs.map((t) => t.name),
    kind: spec.kind,
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    seed: spec.seed,
    crop: spec.crop,
    ...(spec.schedule ? { schedule: spec.schedule } : {}),
    ...(spec.backend ? { backend: spec.backend } : {}),
    backendLog: () => {},
    onSplit: ({ train, validation }) => clock.send({ phase: 'training', detail: `${train} train, ${validation} validation records${skippedNote}` }),
    onSkipped: (message) => {
      if (warnings.length < MAX_WARNINGS) warnings.push(message);
    },
    onEpoch: (p) => {
      last = { epoch: p.epoch, loss: p.loss, valLoss: p.valLoss };
      clock.send({ phase: 'training', epoch: p.epoch, epochs: p.epochs, loss: p.loss, valLoss: p.valLoss, detail: `best val_loss ${p.bestValLoss.toFixed(4)}` }, last);
    },
  });
  const { model, metrics, metadata, validation, backend } = trained;
  try {
    const atEpoch = { epoch: last?.epoch ?? 0, loss: last?.loss ?? null, valLoss: last?.valLoss ?? null };
    // Saved beside the final name and renamed: a killed job never leaves half a model in the list.
    clock.send({ phase: 'saving', ...atEpoch, detail: spec.modelName });
    const modelDir = path.join(spec.modelsDir, spec.modelName);
    const staging = path.join(spec.modelsDir, `.${spec.modelName}.partial-${process.pid}`);
    await fs.rm(staging, { recursive: true, force: true });
    await saveModel(staging, model, metadata);
    clock.send({ phase: 'evaluating', ...atEpoch, detail: 'validation loss' });
    const valLoss = await validationLoss(model, validation, { ...metadata, batchSize: spec.batchSize });
    const tracks = driveTracks(model, metadata, spec.evaluation, (track) => clock.send({ phase: 'evaluating', ...atEpoch, detail: `closed loop on ${track}` }));
    const verdict = await recordEvaluation(staging, { job: spec.jobId, plan: spec.evaluation, tracks, valLoss });
    await fs.rename(staging, modelDir);
    return {
      model: spec.modelName,
      modelDir,
      kind: spec.kind,
      status: verdict.status,
      reasons: verdict.reasons,
      valLoss: valLoss.loss,
      bestEpoch: metrics.bestEpoch,
      epochs: metrics.epochs,
      trainSamples: metrics.trainSamples,
      validationSamples: metrics.validationSamples,
      backend: backend.name,
      durationS: clock.elapsedS(),
      tracks,
      skippedRecords: skippedRecords + metrics.skippedSamples,
      warnings,
    };
  } finally {
    model.dispose();
  }
}

async function runEvaluation(spec: EvaluateSpec, report: ProgressReport): Promise<JobResult> {
  const clock = progressOf(0, report);
  clock.send({ phase: 'loading', detail: spec.model });
  const backend = await selectTrainingBackend(spec.backend, () => {});
  let loaded;
  try {
    loaded = await loadModel(spec.modelDir);
  } catch (error) {
    throw new PipelineError(`model ${spec.model} cannot be loaded: ${(error as Error).message}`);
  }
  const { model, metadata } = loaded;
  try {
    const tracks = driveTracks(model, metadata, spec.evaluation, (track) => clock.send({ phase: 'evaluating', detail: `closed loop on ${track}` }));
    const verdict = await recordEvaluation(spec.modelDir, { job: spec.jobId, plan: spec.evaluation, tracks });
    return {
      model: spec.model,
      modelDir: spec.modelDir,
      kind: metadata.kind,
      status: verdict.status,
      reasons: verdict.reasons,
      valLoss: metadata.metrics?.bestValLoss ?? null,
      bestEpoch: metadata.metrics?.bestEpoch ?? null,
      epochs: metadata.metrics?.epochs ?? null,
      trainSamples: metadata.metrics?.trainSamples ?? null,
      validationSamples: metadata.metrics?.validationSamples ?? null,
      backend: backend.name,
      durationS: clock.elapsedS(),
      tracks,
    };
  } finally {
    model.dispose();
  }
}

export async function runPipeline(spec: PipelineSpec, report: ProgressReport): Promise<JobResult | ArenaResult> {
  if (spec.action === 'train') return runTraining(spec, report);
  if (spec.action === 'evaluate') return runEvaluation(spec, report);
  return runArena(spec, report);
}
