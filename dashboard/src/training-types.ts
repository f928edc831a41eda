/** The training API's shapes as the dashboard sees them (GET /api/tubs, /api/training/jobs, /api/models). */
export type ModelKind = 'linear' | 'fast';
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export interface TubInfo {
  name: string;
  records: number;
  durationS: number;
  deleted: number;
  created: string | null;
  errors: { skipped: number; message: string | null };
}

export interface EpochPoint {
  epoch: number;
  loss: number;
  valLoss: number;
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

export interface TrainingJob {
  id: number;
  tubs: string[];
  kind: ModelKind;
  trigger: 'auto' | 'request';
  state: JobState;
  history: EpochPoint[];
  progress: { phase: string; epoch: number; epochs: number; loss: number | null; valLoss: number | null; elapsedS: number; detail: string } | null;
  result: { model: string; valLoss: number; tracks: TrackResult[]; skippedRecords?: number; warnings?: string[] } | null;
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  revision: number;
}

export interface ModelInfo {
  name: string;
  kind: string;
  created: string;
  candidate: boolean;
  tubs: string[];
  metrics: {
    valLoss: number | null;
    bestEpoch: number | null;
    epochs: number | null;
    trainSamples: number | null;
    durationS: number;
    backend: string;
    tracks: TrackResult[];
  };
}
