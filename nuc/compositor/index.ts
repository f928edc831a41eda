/**
 * Green-screen compositor for the driver's screen: keying, panning background, background library. What
 * other folders use: the keying schema and filter names (the settings file) and the background library
 * (the server's uploads).
 */
export { ChromaKeySchema } from './keying.ts';
export { FILTER_NAMES } from './filters.ts';
export { BackgroundLibrary, BackgroundError, DEFAULT_MAX_UPLOAD_BYTES } from './backgrounds.ts';
export type { BackgroundErrorReason, BackgroundInfo } from './backgrounds.ts';
