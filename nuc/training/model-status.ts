/**
 * Whether a saved model may ship: its `evaluation.json` (written beside metadata.json by the NUC's
 * evaluation) holds the candidate gate's verdict and a digest of the model files it was given, so
 * a model that was never evaluated (trained from the CLI, copied into data/models/), or whose
 * files changed since, is `unevaluated`, never a candidate.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { MODEL_FILE, WEIGHTS_FILE } from '../../model/index.ts';
import { writeFileAtomic } from '../../runtime/index.ts';
import type { GateConfig } from './gate.ts';
import type { ModelVerdict, TrackResult } from './types.ts';

export const EVALUATION_FILE = 'evaluation.json';

export interface ModelEvaluation {
  status: ModelVerdict;
  reasons: string[];
  /** the job that evaluated it */
  job: number;
  valLoss: number | null;
  angleLoss: number | null;
  throttleLoss: number | null;
  tracks: TrackResult[];
  evalLaps: number;
  gate: GateConfig;
  /** sha256 of model.json and the weights as evaluated */
  modelSha256: string;
  evaluatedAt: string;
}

export type ModelStatus = ModelVerdict | 'unevaluated';

export interface ModelStanding {
  status: ModelStatus;
  /** why it is rejected, or why it counts as unevaluated */
  reasons: string[];
  evaluation: ModelEvaluation | undefined;
}

const Num = Type.Union([Type.Number(), Type.Null()]);
const EvaluationSchema = Type.Object({
  status: Type.Union([Type.Literal('candidate'), Type.Literal('rejected')]),
  reasons: Type.Array(Type.String()),
  job: Type.Integer(),
  valLoss: Num,
  angleLoss: Num,
  throttleLoss: Num,
  tracks: Type.Array(Type.Object({ track: Type.String(), source: Type.String(), lapsAttempted: Type.Integer(), lapsCompleted: Type.Integer(), lapsFinished: Type.Integer(), offTrackEvents: Type.Integer(), meanAbsCteM: Type.Number(), lapTimesS: Type.Array(Type.Number()), expertLapS: Num, endReason: Type.String() })),
  evalLaps: Type.Integer({ minimum: 1 }),
  gate: Type.Object({ minCleanLaps: Type.Integer(), rejectOffTrack: Type.Boolean(), tracks: Type.Array(Type.String()) }),
  modelSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  evaluatedAt: Type.String(),
});
const checkEvaluation = TypeCompiler.Compile(EvaluationSchema);

/** sha256 over model.json and weights.bin: what the evaluation drove. */
export async function modelDigest(modelDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [MODEL_FILE, WEIGHTS_FILE]) {
    hash.update(file);
    hash.update(await fs.readFile(path.join(modelDir, file)));
  }
  return hash.digest('hex');
}

export async function writeEvaluation(modelDir: string, evaluation: ModelEvaluation): Promise<void> {
  await writeFileAtomic(path.join(modelDir, EVALUATION_FILE), `${JSON.stringify(evaluation, null, 2)}\n`);
}

/** The model's standing: its evaluation if it is well formed and of these very files. */
export async function modelStanding(modelDir: string): Promise<ModelStanding> {
  const unevaluated = (reason: string): ModelStanding => ({ status: 'unevaluated', reasons: [reason], evaluation: undefined });
  let text: string;
  try {
    text = await fs.readFile(path.join(modelDir, EVALUATION_FILE), 'utf8');
  } catch {
    return unevaluated('never evaluated in the simulator');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return unevaluated(`${EVALUATION_FILE} is not valid JSON; evaluate it again`);
  }
  if (!checkEvaluation.Check(value)) return unevaluated(`${EVALUATION_FILE} is from before the candidate gate or damaged; evaluate it again`);
  const evaluation = value as ModelEvaluation;
  const digest = await modelDigest(modelDir).catch(() => undefined);
  if (digest !== evaluation.modelSha256) return unevaluated('its files changed after it was evaluated; evaluate it again');
  return { status: evaluation.status, reasons: evaluation.reasons, evaluation };
}

/** The refusal a non-candidate gets when shipped without an override. */
export function shipRefusal(name: string, standing: ModelStanding): string {
  const why = standing.reasons.length ? `: ${standing.reasons.join('; ')}` : '';
  return `model ${name} is ${standing.status === 'unevaluated' ? 'not evaluated' : 'rejected by the candidate gate'}${why}. Ship it only with an explicit override`;
}

/** What the fleet history records about a release that shipped a non-candidate on an override. */
export function overrideNote(standing: ModelStanding): string {
  const what = standing.status === 'unevaluated' ? 'not evaluated' : 'rejected by the candidate gate';
  return `shipped on an override: ${what}${standing.reasons.length ? ` (${standing.reasons.join('; ')})` : ''}`;
}
