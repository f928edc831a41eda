/** The simulator: tracks, the car's physics, its camera, race telemetry, an expert driver and the emulated PCA9685 under the real driver. */
export { Track } from './track.ts';
export type { Pose } from './track.ts';
export { loadTrack } from './track-file.ts';
export type { DriveInput } from './vehicle.ts';
export { DirectPulses } from './direct-pulses.ts';
export { SimWorld } from './world.ts';
export type { SimTelemetry } from './world.ts';
export { createRenderer, encodeJpeg } from './render.ts';
export { createExpert } from './expert.ts';
export { runExpert } from './expert-run.ts';
export { EmulatedPca9685, noAckError } from './emulated-pca9685.ts';
export { serveI2c } from './i2c-server.ts';
export { serveCameraFeed, type CameraFeed } from './camera-feed.ts';
export { gridPose, nearestTrackPose, GRID_FIRST_M, GRID_SPACING_M } from './grid.ts';
export { SharedTrack } from './shared-track.ts';
export type { SharedCar } from './shared-track.ts';
export type { CarSprite } from './car-sprites.ts';
export { CONTACT_DISTANCE_M } from './world.ts';
