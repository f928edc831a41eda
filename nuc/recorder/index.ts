/** The NUC's lap recorder: frames paired with the driver's control, written as Donkeycar tubs. */
export { Recorder } from './recorder.ts';
export type { RecorderTotals } from './recorder.ts';
export { RecordingSession, EXTRA_INPUTS } from './session.ts';
export type { RecordingSessionOptions, RecordingStatus, RecordingReport, RecordingCounters, TubSink, FrameIn, ControlIn, TelemetryIn, RecorderLog } from './session.ts';
export { ControlHistory } from './control-history.ts';
export type { TimedControl } from './control-history.ts';
export { tubImage, TUB_IMAGE_WIDTH, TUB_IMAGE_HEIGHT } from './downscale.ts';
export { tubName, freshTubDir } from './tub-name.ts';
