/** What a training job is, as stored, listed over HTTP and pushed to the dashboard. */
import type { ModelKind } from '../../model/index.ts';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
/** `skipped`: an automatic job for a session too short to train on; it never runs. */
export type JobState = (typeof JOB_STATES)[number];
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'skipped'];

export type JobTrigger = 'auto' | 'request';

/** What a job does: train a model (and evaluate it), evaluate a saved model, or race two models in the arena. */
export const JOB_ACTIONS = ['train', 'evaluate', 'arena'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/** Where a running job is: the worker reports a phase change and one point per epoch. */
export type JobPhase = 'loading' | 'training' | 'evaluating' | 'replaying' | 'saving';

export interface EpochPoint {
  epoch: number;
  loss: number;
  valLoss: number;
}

export interface JobProgress {
  phase: JobPhase;
  epoch: number;
  epochs: number;
  loss: number | null;
  valLoss: number | null;
  elapsedS: number;
  /** free text for the phase, e.g. the track under evaluation */
  detail: string;
}

export type EndReason = 'laps' | 'time' | 'off-track';

export interface TrackResult {
  /** the track's own name */
  track: string;
  /** what the evaluation was asked for: a simulator track name or a track file */
  source: string;
  lapsAttempted: number;
  lapsCompleted: number;
  lapsFinished: number;
  offTrackEvents: number;
  meanAbsCteM: number;
  lapTimesS: number[];
  expertLapS: number | null;
  endReason: EndReason;
}

/** How an evaluated model stands: a candidate may ship; a rejected one (or one never evaluated) ships only with an override. */
export type ModelVerdict = 'candidate' | 'rejected';

/** What a training or evaluation job measured: the numbers the dashboard's models table shows. */
export interface JobResult {
  model: string;
  modelDir: string;
  kind: ModelKind;
  /** the candidate gate's verdict, and why a rejected model was rejected */
  status: ModelVerdict;
  reasons: string[];
  /** null for an evaluation of a model whose training data is not at hand */
  valLoss: number | null;
  bestEpoch: number | null;
  epochs: number | null;
  trainSamples: number | null;
  validationSamples: number | null;
  backend: string;
  durationS: number;
  tracks: TrackResult[];
  /** bad records and unreadable samples left out */
  skippedRecords?: number;
  /** what was skipped and why (refused tubs, the first bad records by name) */
  warnings?: string[];
}

/** Two models, one track, one seed: the arena's race. */
export interface ArenaRequest {
  models: [string, string];
  /** a simulator track name or a track file */
  track: string;
  laps: number;
  /** seeds the ground texture both models see */
  seed: number;
  /** a tub to replay: each model's predicted angle against the driver's */
  tub?: string;
  /** where in the tub's usable records the replay starts (default 0) */
  from?: number;
}

export interface ArenaEntry {
  model: string;
  kind: ModelKind;
  run: TrackResult;
  /** |cross-track error| along the run, metres, one point per simulated `cteStepS` */
  cteTrace: number[];
  cteStepS: number;
}

export interface ArenaReplay {
  tub: string;
  /** the replayed records (all of them, or evenly spaced ones in a long tub) */
  indexes: number[];
  /** the angle the driver recorded */
  driver: number[];
  /** each model's angle for the same frames, in the order of `models` */
  predicted: [number[], number[]];
}

export interface ArenaResult {
  track: string;
  laps: number;
  seed: number;
  entries: [ArenaEntry, ArenaEntry];
  replay: ArenaReplay | null;
  durationS: number;
}

interface JobCommon {
  id: number;
  trigger: JobTrigger;
  state: JobState;
  history: EpochPoint[];
  progress: JobProgress | null;
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** bumps on every change: a watcher pushes jobs whose revision it has not seen */
  revision: number;
}

export interface TrainJob extends JobCommon {
  action: 'train';
  /** tub names (folders under <dataDir>/tubs) */
  tubs: string[];
  kind: ModelKind;
  result: JobResult | null;
}

export interface EvaluateJob extends JobCommon {
  action: 'evaluate';
  /** a model folder under <dataDir>/models */
  model: string;
  result: JobResult | null;
}

export interface ArenaJob extends JobCommon {
  action: 'arena';
  arena: ArenaRequest;
  result: ArenaResult | null;
}

export type TrainingJob = TrainJob | EvaluateJob | ArenaJob;

/** What a runner hands back for each action. */
export type ResultOf<J extends TrainingJob> = NonNullable<J['result']>;
