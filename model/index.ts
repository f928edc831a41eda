/** The pilot model: file format and metadata, the one frame-to-input function, inference, backends. */
export { selectBackend, backendId, type BackendInfo, type BackendLog, type BackendName } from './backend.ts';
export { saveModel, loadModel, MODEL_FILE, WEIGHTS_FILE, METADATA_FILE } from './files.ts';
export { inferenceModel } from './inference.ts';
export { croppedShape, decodeFrame, frameToInput, MAX_IMAGE_PIXELS, NO_CROP, PIXEL_NORMALIZATION, type Crop, type InputSpec } from './input.ts';
export { MODEL_FRAME_SHAPE, MODEL_KINDS, type ModelKind } from './kinds.ts';
export { modelMetadata, type ModelMetadata, type TrainMetrics } from './metadata.ts';
