export { selectBackend, backendId, BACKEND_ORDER, type BackendInfo, type BackendName } from './backend.ts';
export { registerWasmTrainingKernels } from './kernels/index.ts';
export { createModel, createLinearModel, createFastModel, compileModel, MODEL_KINDS, MODEL_FRAME_SHAPE, OUTPUT_NAMES, type ModelKind, type ModelOptions } from './models.ts';
export { batches, decodeFrame, croppedShape, splitSamples, NO_CROP, type Sample, type Crop, type Batch, type BatchOptions } from './dataset.ts';
export { DEFAULT_AUGMENTATIONS, seededRandom, augmentFrame, type Augmentations } from './augment.ts';
export { trainModel, type TrainOptions, type TrainResult, type TrainMetrics, type EpochProgress } from './train.ts';
export { saveModel, loadModel, fileSystemHandler, PIXEL_NORMALIZATION, MODEL_FILE, WEIGHTS_FILE, METADATA_FILE, type ModelMetadata } from './model-io.ts';
export { evaluateClosedLoop, validationLoss, frameToInput, EVAL_TRACKS } from './evaluate.ts';
export type { ClosedLoopOptions, ClosedLoopResult, EvalTrack, InputSpec, ValidationLoss } from './evaluate.ts';
