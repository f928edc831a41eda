/** Background training on the NUC: the job store, the queue that runs jobs, and the HTTP routes. */
export { JobStore, JobStoreError, canTransition } from './job-store.ts';
export type { NewJob, CancelOutcome } from './job-store.ts';
export { TrainingQueue, INTERRUPTED_REASON } from './queue.ts';
export type { TrainingQueueOptions } from './queue.ts';
export { workerRunner } from './runner.ts';
export type { JobRunner, RunHandle, RunOutcome } from './runner.ts';
export { runPipeline, PipelineError } from './pipeline.ts';
export type { PipelineSpec, TrainSpec, EvaluateSpec, ProgressReport } from './pipeline.ts';
export type { ArenaSpec } from './arena.ts';
export { EVALUATION_FILE, modelStanding, overrideNote, shipRefusal, type ModelEvaluation, type ModelStanding, type ModelStatus } from './model-status.ts';
export { judge, evaluationTracks, type GateConfig, type Verdict } from './gate.ts';
export { trackResult } from './evaluation.ts';
export { trainingRoutes } from './routes.ts';
export type { TrainingRoutesOptions, TrainingEvents, TubsReply, JobsReply, ModelsReply, TracksReply } from './routes.ts';
export type { TubDetailReply, RecordsReply, PlotReply, DeletionsReply, FilterReply } from './tub-routes.ts';
export type { RecordRow, PlotBucket } from './tub-view.ts';
export type { TrackChoice } from './track-choices.ts';
export { listTubInfo, listModels, tubPreview, evenlySpaced } from './catalog.ts';
export type { TubInfo, ModelInfo } from './catalog.ts';
export { TRAINING_DB, isTubName, modelName } from './names.ts';
export { JOB_STATES, FINISHED_STATES, JOB_ACTIONS } from './types.ts';
export type {
  TrainingJob,
  TrainJob,
  EvaluateJob,
  ArenaJob,
  JobAction,
  JobState,
  JobTrigger,
  JobPhase,
  JobProgress,
  JobResult,
  EpochPoint,
  TrackResult,
  ModelVerdict,
  ArenaRequest,
  ArenaResult,
  ArenaEntry,
  ArenaReplay,
} from './types.ts';
