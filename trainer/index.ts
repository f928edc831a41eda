/** The trainer: model layers, datasets and augmentation, training (with its wasm gradient kernels), closed-loop evaluation. */
export { selectTrainingBackend } from './backend.ts';
export { createModel, createLinearModel } from './models.ts';
export type { Sample } from './dataset.ts';
export { seededRandom } from './augment.ts';
export { trainModel, type BatchProgress } from './train.ts';
export { evaluateClosedLoop, validationLoss, EVAL_TRACKS, type ClosedLoopResult, type EvalTrack } from './evaluate.ts';
export { driveDemonstrations } from './demonstrations.ts';
