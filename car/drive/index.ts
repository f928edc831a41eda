/** Drive-loop logic for the `pilot` service: modes, user control, the pilot interface, the loop scheduler. */
export { decideDrive } from './modes.ts';
export type { DriveDecision, DriveSafety } from './modes.ts';
export { hasRealHardware, linkLossPolicy, startMode, type LinkLossPolicy } from './drive-settings.ts';
export { UserControl } from './user-control.ts';
export { ConstantPilot, PilotError, createPilotRegistry, runPilot } from './pilot.ts';
export type { Pilot, PilotInput, PilotKind, PilotOutput } from './pilot.ts';
export { DriveLoop, driveRateFor } from './loop.ts';
export { FrameRunner } from './frame-runner.ts';
export { telemetryFields } from './telemetry.ts';
