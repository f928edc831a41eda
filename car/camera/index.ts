/** Camera frame sources behind one interface, and the MJPEG stream splitter they share. */
export { CameraSourceError, LatestFrameSlot, drainSlot, silentLogger } from './frame-source.ts';
export type { CameraFrame, FrameSource, SourceLogger } from './frame-source.ts';
export { MjpegSplitter, readJpegSize, DEFAULT_MAX_FRAME_BYTES } from './mjpeg-splitter.ts';
export type { SplitJpeg, SplitDropReason, SplitterStats, SplitterOptions } from './mjpeg-splitter.ts';
export { MjpegSource } from './mjpeg-source.ts';
export type { MjpegSourceOptions, MjpegSourceStats } from './mjpeg-source.ts';
export { ReplaySource } from './replay-source.ts';
export type { ReplaySourceOptions, ReplaySourceStats } from './replay-source.ts';
