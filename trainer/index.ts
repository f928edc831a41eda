export { selectTrainingBackend } from './backend.ts';
export { createModel, createLinearModel, createFastModel } from './models.ts';
export { type Sample } from './dataset.ts';
export { seededRandom } from './augment.ts';
export { trainModel, type BatchProgress } from './train.ts';
export { evaluateClosedLoop, validationLoss, EVAL_TRACKS, type ClosedLoopResult, type EvalTrack } from './evaluate.ts';
export { driveDemonstrations } from './demonstrations.ts';
