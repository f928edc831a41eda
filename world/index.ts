/**
 * The simulated world, below the car, the NUC and the trainer that all drive in it: tracks and track
 * files, the grid, the car's physics behind Donkeycar's PWM calibration, the camera's renderer, the
 * shared track's other cars, and an expert driver.
 */
export { Track } from './track.ts';
export type { Pose } from './track.ts';
export { BUILTIN_TRACKS_DIR, loadTrack } from './track-file.ts';
export type { DriveInput } from './vehicle.ts';
export { DirectPulses } from './direct-pulses.ts';
export { SimWorld, CONTACT_DISTANCE_M } from './world.ts';
export type { SimTelemetry } from './world.ts';
export { createRenderer, encodeJpeg } from './render.ts';
export { createExpert } from './expert.ts';
export { runExpert } from './expert-run.ts';
export { gridPose, nearestTrackPose, GRID_FIRST_M, GRID_SPACING_M } from './grid.ts';
export { SharedTrack } from './shared-track.ts';
export type { SharedCar } from './shared-track.ts';
export type { CarSprite } from './car-sprites.ts';
