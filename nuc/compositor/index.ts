/** Green-screen compositor for the driver's screen: keying, panning background, background library. */
export {
  ChromaKeySchema,
  ChromaKeyError,
  DEFAULT_CHROMA_KEY,
  resolveChromaKey,
  subjectAlpha,
  buildKeyTable,
} from './keying.ts';
export type { ChromaKeySettings, KeyTable } from './keying.ts';
export { BackgroundPan, stepPan, centredPan, normaliseAngle } from './panning.ts';
export { FILTER_NAMES, isFilterName } from './filters.ts';
export type { FilterName } from './filters.ts';
export { fitBackground } from './raw-image.ts';
export type { RawImage } from './raw-image.ts';
export { createCompositor, createLatestFrameCompositor, CompositorError } from './compositor.ts';
export type {
  Compositor,
  CompositorOptions,
  CompositorErrorReason,
  CompositeResult,
  CompositeTimings,
  CameraFrame,
  FilterTarget,
} from './compositor.ts';
export { LatestWins } from './latest-wins.ts';
export type { LatestWinsOptions, LatestWinsStats } from './latest-wins.ts';
export {
  BackgroundLibrary,
  BackgroundError,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_MAX_DIMENSION,
} from './backgrounds.ts';
export type { BackgroundInfo, BackgroundLibraryOptions, BackgroundErrorReason } from './backgrounds.ts';
export { BUILT_IN_BACKGROUNDS } from './background-art.ts';
export type { BuiltInBackground } from './background-art.ts';
