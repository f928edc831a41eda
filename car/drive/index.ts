/** Drive-loop logic for the `pilot` service: modes, user control, the pilot interface, the loop scheduler. */
export { DRIVE_MODES, decideDrive, isDriveMode, nextMode } from './modes.ts';
export type { DriveDecision, DriveMode, DriveSource, Steering } from './modes.ts';
export { UserControl, DEFAULT_USER_TIMEOUT_MS } from './user-control.ts';
export type { ControlInput, UserControlOptions, UserSteering } from './user-control.ts';
export { ConstantPilot, PilotError, PilotRegistry, createPilotRegistry, runPilot } from './pilot.ts';
export type { Pilot, PilotFactory, PilotFrame, PilotInput, PilotKind, PilotOptions, PilotOutput, PilotRun } from './pilot.ts';
export {
  DriveLoop,
  DEFAULT_RATE_HZ,
  MIN_RATE_HZ,
  MAX_RATE_HZ,
  driveRateFor,
  monotonicClock,
  planNextTick,
  validateRateHz,
} from './loop.ts';
export type { DriveLoopOptions, LoopClock, NextTick, TickInfo } from './loop.ts';
export { FrameRunner } from './frame-runner.ts';
export type { FrameRunnerOptions } from './frame-runner.ts';
export { telemetryFields } from './telemetry.ts';
export type { TelemetryState } from './telemetry.ts';
