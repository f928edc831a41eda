/** The pilot model: file format and metadata, the one frame-to-input function, the one way a model drives, backends. */
export { selectBackend, backendId, type BackendInfo, type BackendLog, type BackendName } from './backend.ts';
export { saveModel, loadModel, MODEL_FILE, WEIGHTS_FILE, METADATA_FILE } from './files.ts';
export { inferenceModel } from './inference.ts';
export { croppedShape, decodeFrame, decodeFrameRgb, frameToInput, frameToInputInto, MAX_IMAGE_PIXELS, NO_CROP, PIXEL_NORMALIZATION, type Crop, type InputSpec, type Normalization } from './input.ts';
export { isModelKind, MODEL_FRAME_SHAPE, MODEL_KINDS, type ModelKind } from './kinds.ts';
export { modelMetadata, type ModelDescription, type ModelMetadata, type TrainMetrics } from './metadata.ts';
export { ANGLE_BINNING, binIndex, binValue, categoricalThrottleRange, throttleBinning, unbin, writeOneHot, type Binning } from './categorical.ts';
export { CommandMemory, DEFAULT_MEMORY, type MemorySpec } from './memory.ts';
export { ModelDriver, type Command } from './driver.ts';
