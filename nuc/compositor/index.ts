/**
 * Green-screen compositor for the driver's screen: keying, panning background, background library. What
 * other folders use: the background library (the server's uploads). The keying parameters' schema and
 * the filter names are the settings file's, in nuc/settings.
 */
export { BackgroundLibrary, BackgroundError, DEFAULT_MAX_UPLOAD_BYTES } from './backgrounds.ts';
export type { BackgroundErrorReason, BackgroundInfo } from './backgrounds.ts';
