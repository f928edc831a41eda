/**
 * The NUC's evaluation of a model: closed loop on every evaluation track (simulator tracks or
 * track files), the candidate gate's verdict, and evaluation.json written beside the model so
 * the training view, the ship route and `npm run deploy` all see the same standing.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelMetadata } from '../../model/index.ts';
import { evaluateClosedLoop, type ClosedLoopResult } from '../../trainer/index.ts';
import { evaluationTracks, judge, type GateConfig, type Verdict } from './gate.ts';
import { modelDigest, writeEvaluation, type ModelEvaluation } from './model-status.ts';
import type { TrackResult } from './types.ts';

export interface EvaluationPlan {
  /** nuc.training.evalTracks: simulator track names or track files */
  tracks: string[];
  laps: number;
  secondsPerLap: number;
  gate: GateConfig;
}

export function trackResult(result: ClosedLoopResult, source: string): TrackResult {
  return {
    track: result.track,
    source,
    lapsAttempted: result.lapsAttempted,
    lapsCompleted: result.lapsCompleted,
    lapsFinished: result.lapsFinished,
    offTrackEvents: result.offTrackEvents,
    meanAbsCteM: result.meanAbsCteM,
    lapTimesS: result.lapTimesS,
    expertLapS: result.expertLapS,
    endReason: result.endReason,
  };
}

/** Drives the model on every track the plan and its gate name; `onTrack` hears which is next. */
export function driveTracks(model: tf.LayersModel, metadata: ModelMetadata, plan: EvaluationPlan, onTrack: (track: string) => void = () => {}): TrackResult[] {
  return evaluationTracks(plan.tracks, plan.gate).map((source) => {
    onTrack(source);
    const result = evaluateClosedLoop({ model, metadata, track: source, laps: plan.laps, maxSeconds: plan.laps * plan.secondsPerLap, throttle: 'model' });
    return trackResult(result, source);
  });
}

export interface EvaluationRecord {
  job: number;
  plan: EvaluationPlan;
  tracks: TrackResult[];
  valLoss?: { loss: number; angleLoss: number; throttleLoss: number } | undefined;
}

/** The gate's verdict on the tracks driven, written beside the model's files (which must be saved already). */
export async function recordEvaluation(modelDir: string, record: EvaluationRecord): Promise<Verdict> {
  const verdict = judge(record.plan.gate, record.plan.tracks, record.tracks);
  const evaluation: ModelEvaluation = {
    status: verdict.status,
    reasons: verdict.reasons,
    job: record.job,
    valLoss: record.valLoss?.loss ?? null,
    angleLoss: record.valLoss?.angleLoss ?? null,
    throttleLoss: record.valLoss?.throttleLoss ?? null,
    tracks: record.tracks,
    evalLaps: record.plan.laps,
    gate: record.plan.gate,
    modelSha256: await modelDigest(modelDir),
    evaluatedAt: new Date().toISOString(),
  };
  await writeEvaluation(modelDir, evaluation);
  return verdict;
}
