/** Background training on the NUC: the job store, the queue that runs jobs, and the HTTP routes. */
export { JobStore, JobStoreError, canTransition } from './job-store.ts';
export type { NewJob, CancelOutcome } from './job-store.ts';
export { TrainingQueue, INTERRUPTED_REASON } from './queue.ts';
export type { TrainingQueueOptions } from './queue.ts';
export { workerRunner } from './runner.ts';
export type { JobRunner, RunHandle, RunOutcome } from './runner.ts';
export { runPipeline, PipelineError, EVALUATION_FILE } from './pipeline.ts';
export type { PipelineSpec, ModelEvaluation, ProgressReport } from './pipeline.ts';
export { trainingRoutes } from './routes.ts';
export type { TrainingRoutesOptions, TrainingEvents, TubsReply, JobsReply, ModelsReply } from './routes.ts';
export { listTubInfo, listModels, tubPreview, evenlySpaced } from './catalog.ts';
export type { TubInfo, ModelInfo } from './catalog.ts';
export { TRAINING_DB, isTubName, modelName } from './names.ts';
export { JOB_STATES, FINISHED_STATES } from './types.ts';
export type { TrainingJob, JobState, JobTrigger, JobPhase, JobProgress, JobResult, EpochPoint, TrackResult } from './types.ts';
