/**
 * One training job, start to finish: read the tubs, train, evaluate (validation loss and closed loop
 * on both simulator tracks), save the model as a candidate. Runs inside the worker process; the
 * progress callback is how the service hears about it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { modelMetadata, saveModel, type BackendName, type ModelKind } from '../../model/index.ts';
import { EVAL_TRACKS, evaluateClosedLoop, selectTrainingBackend, trainModel, validationLoss } from '../../trainer/index.ts';
import { writeFileAtomic } from '../../runtime/index.ts';
import { filterRecords, readTubs, splitRecords, tubSample, type TubRecord } from '../../trainer/tub/index.ts';
import type { EpochPoint, JobProgress, JobResult, TrackResult } from './types.ts';

/** Beside metadata.json: how the model did, and that it is a candidate waiting for a decision. */
export const EVALUATION_FILE = 'evaluation.json';

export interface ModelEvaluation {
  candidate: boolean;
  job: number;
  valLoss: number;
  angleMse: number;
  throttleMse: number;
  tracks: TrackResult[];
  evaluatedAt: string;
}

export interface PipelineSpec {
  jobId: number;
  /** tub name → its folder */
  tubs: { name: string; dir: string }[];
  kind: ModelKind;
  epochs: number;
  batchSize: number;
  seed: number;
  minRecords: number;
  evalLaps: number;
  evalSecondsPerLap: number;
  modelsDir: string;
  modelName: string;
  backend?: BackendName;
}

export type ProgressReport = (progress: JobProgress, epoch?: EpochPoint) => void;

/** A failure the user can act on (the message names the tub or the numbers involved). */
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

/** Reads the job's tubs; a refused tub or a bad record is skipped and reported, training goes on when enough remain. */
async function readRecords(spec: PipelineSpec): Promise<PipelineRecords> {
  for (const tub of spec.tubs) {
    const stat = await fs.stat(tub.dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new PipelineError(`tub ${tub.name} does not exist (${tub.dir})`);
  }
  const read = await readTubs(
    spec.tubs.map((t) => t.dir),
    { minRecords: 0 },
  );
  const warnings = read.issues.slice(0, MAX_WARNINGS).map((issue) => issue.message);
  const records = filterRecords(read.records, { modes: ['user'], minThrottle: 0 });
  if (records.length < spec.minRecords) {
    const names = spec.tubs.map((t) => t.name).join(', ');
    const why = warnings.length ? `; ${warnings.slice(0, 3).join('; ')}` : '';
    throw new PipelineError(
      `too few records in tub ${names}: ${records.length} user-mode records with throttle >= 0 (of ${read.records.length}; ${read.skipped} bad, ${read.deleted} deleted), at least ${spec.minRecords} needed${why}`,
    );
  }
  return { records, warnings, skippedRecords: read.skipped };
}

export async function runPipeline(spec: PipelineSpec, report: ProgressReport): Promise<JobResult> {
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const progress = (partial: Partial<JobProgress> & Pick<JobProgress, 'phase'>): JobProgress => ({
    epoch: 0,
    epochs: spec.epochs,
    loss: null,
    valLoss: null,
    detail: '',
    ...partial,
    elapsedS: elapsedS(),
  });

  report(progress({ phase: 'loading', detail: `reading ${spec.tubs.length} tub(s)` }));
  const { records, warnings, skippedRecords } = await readRecords(spec);
  const split = splitRecords(records, { validationFraction: 0.2, seed: spec.seed });
  const backend = await selectTrainingBackend(spec.backend, () => {});

  let last: EpochPoint | undefined;
  const skippedNote = warnings.length > 0 ? `; skipped: ${warnings[0]}${warnings.length > 1 ? ` and ${warnings.length - 1} more` : ''}` : '';
  report(progress({ phase: 'training', detail: `${split.train.length} train, ${split.validation.length} validation records${skippedNote}` }));
  const validation = split.validation.map(tubSample);
  const trained = await trainModel({
    kind: spec.kind,
    train: split.train.map(tubSample),
    validation,
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    seed: spec.seed,
    onSkipped: (message) => {
      if (warnings.length < MAX_WARNINGS) warnings.push(message);
    },
    onEpoch: (p) => {
      last = { epoch: p.epoch, loss: p.loss, valLoss: p.valLoss };
      report(progress({ phase: 'training', epoch: p.epoch, epochs: p.epochs, loss: p.loss, valLoss: p.valLoss, detail: `best val_loss ${p.bestValLoss.toFixed(4)}` }), last);
    },
  });
  const { model, metrics } = trained;
  try {
    const metadata = modelMetadata({ kind: spec.kind, crop: trained.crop, tubs: spec.tubs.map((t) => t.name), metrics, backend: backend.name });
    const atEpoch = { epoch: last?.epoch ?? 0, loss: last?.loss ?? null, valLoss: last?.valLoss ?? null };
    report(progress({ phase: 'evaluating', ...atEpoch, detail: 'validation loss' }));
    const valLoss = await validationLoss(model, validation, metadata);
    const tracks: TrackResult[] = [];
    for (const track of EVAL_TRACKS) {
      report(progress({ phase: 'evaluating', ...atEpoch, detail: `closed loop on ${track}` }));
      const r = evaluateClosedLoop({ model, metadata, track, laps: spec.evalLaps, maxSeconds: spec.evalLaps * spec.evalSecondsPerLap, throttle: 'model' });
      tracks.push({
        track: r.track,
        lapsAttempted: r.lapsAttempted,
        lapsCompleted: r.lapsCompleted,
        lapsFinished: r.lapsFinished,
        offTrackEvents: r.offTrackEvents,
        meanAbsCteM: r.meanAbsCteM,
        lapTimesS: r.lapTimesS,
        expertLapS: r.expertLapS,
      });
    }

    report(progress({ phase: 'saving', ...atEpoch, detail: spec.modelName }));
    // Saved beside the final name and renamed: a killed job never leaves half a model in the list.
    const modelDir = path.join(spec.modelsDir, spec.modelName);
    const staging = path.join(spec.modelsDir, `.${spec.modelName}.partial-${process.pid}`);
    await fs.rm(staging, { recursive: true, force: true });
    await saveModel(staging, model, metadata);
    const evaluation: ModelEvaluation = {
      candidate: true,
      job: spec.jobId,
      valLoss: valLoss.loss,
      angleMse: valLoss.angleMse,
      throttleMse: valLoss.throttleMse,
      tracks,
      evaluatedAt: new Date().toISOString(),
    };
    await writeFileAtomic(path.join(staging, EVALUATION_FILE), JSON.stringify(evaluation, null, 2));
    await fs.rename(staging, modelDir);
    return {
      model: spec.modelName,
      modelDir,
      valLoss: valLoss.loss,
      bestEpoch: metrics.bestEpoch,
      epochs: metrics.epochs,
      trainSamples: metrics.trainSamples,
      validationSamples: metrics.validationSamples,
      backend: backend.name,
      durationS: elapsedS(),
      tracks,
      skippedRecords: skippedRecords + metrics.skippedSamples,
      warnings,
    };
  } finally {
    model.dispose();
  }
}
