/** The trainer: model layers, datasets and augmentation, training (with its wasm gradient kernels), closed-loop evaluation. */
export { selectTrainingBackend } from './backend.ts';
export { createModel, createLinearModel } from './models.ts';
export { FrameCache, type Sample } from './dataset.ts';
export { tubSample, tubSamples } from './tub-samples.ts';
export { trainFromRecords, VALIDATION_FRACTION, type RecipeOptions, type RecipeResult } from './recipe.ts';
export { seededRandom } from './augment.ts';
export { trainModel, learningRateAt, COSINE_SCHEDULE, DONKEYCAR_SCHEDULE, type BatchProgress, type EpochProgress, type LearningSchedule, type TrainResult } from './train.ts';
export { evaluateClosedLoop, evaluationTrack, EVAL_TRACKS, type ClosedLoopResult, type EndReason } from './evaluate.ts';
export { validationLoss, type ValidationLoss } from './validation.ts';
export { driveDemonstrations } from './demonstrations.ts';
