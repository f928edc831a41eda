/** The simulator: tracks, the car's physics, its camera, race telemetry and an expert driver. */
export { Track } from './track.ts';
export type { TrackSpec, Pose, ClosestPoint } from './track.ts';
export { TrackError, BUILTIN_TRACKS, builtinTrackPath, loadTrack, loadTrackFile, parseTrack, validateTrackSpec } from './track-file.ts';
export type { BuiltinTrackName } from './track-file.ts';
export { DEFAULT_VEHICLE, readDriveInput, stepVehicle, minTurnRadius } from './vehicle.ts';
export type { PulseSource, VehicleParams, VehicleState, DriveInput, DriveCalibration } from './vehicle.ts';
export { DirectPulses } from './direct-pulses.ts';
export { SimWorld } from './world.ts';
export type { SimTelemetry, SimWorldOptions } from './world.ts';
export { CHROMA_GREEN, DEFAULT_CAMERA, RenderError, createRenderer, encodeJpeg } from './render.ts';
export type { CameraParams, Renderer, RendererOptions } from './render.ts';
export type { Rgb } from './ground-map.ts';
export { createExpert } from './expert.ts';
export type { ExpertDriver, ExpertOptions } from './expert.ts';
export { runExpert } from './expert-run.ts';
export type { ExpertRunOptions, ExpertRunResult } from './expert-run.ts';
export { EmulatedPca9685, noAckError } from './emulated-pca9685.ts';
export { serveI2c } from './i2c-server.ts';
