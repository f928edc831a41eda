/** What a training job is, as stored, listed over HTTP and pushed to the dashboard. */
import type { ModelKind } from '../../model/index.ts';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const;
/** `skipped`: an automatic job for a session too short to train on; it never runs. */
export type JobState = (typeof JOB_STATES)[number];
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'skipped'];

export type JobTrigger = 'auto' | 'request';

/** Where a running job is: the worker reports a phase change and one point per epoch. */
export type JobPhase = 'loading' | 'training' | 'evaluating' | 'saving';

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

export interface TrackResult {
  track: string;
  lapsAttempted: number;
  lapsCompleted: number;
  lapsFinished: number;
  offTrackEvents: number;
  meanAbsCteM: number;
  lapTimesS: number[];
  expertLapS: number | null;
}

/** What a finished job measured: the numbers the dashboard's models table shows. */
export interface JobResult {
  model: string;
  modelDir: string;
  valLoss: number;
  bestEpoch: number;
  epochs: number;
  trainSamples: number;
  validationSamples: number;
  backend: string;
  durationS: number;
  tracks: TrackResult[];
  /** bad records and unreadable samples left out */
  skippedRecords?: number;
  /** what was skipped and why (refused tubs, the first bad records by name) */
  warnings?: string[];
}

export interface TrainingJob {
  id: number;
  /** tub names (folders under <dataDir>/tubs) */
  tubs: string[];
  kind: ModelKind;
  trigger: JobTrigger;
  state: JobState;
  history: EpochPoint[];
  progress: JobProgress | null;
  result: JobResult | null;
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** bumps on every change: a watcher pushes jobs whose revision it has not seen */
  revision: number;
}
