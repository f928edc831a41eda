/**
 * Drive modes, as in Donkeycar: `user` (the wheel drives), `local_angle` (the pilot steers, the
 * user sets throttle), `local` (the pilot drives both). Pure decisions, no I/O.
 */
import { DRIVE_MODES, type DriveMode } from '../../protocol/index.ts';
import { clampUnit } from '../../runtime/index.ts';

export { DRIVE_MODES };
export type { DriveMode };

export interface Steering {
  angle: number;
  throttle: number;
}

export type DriveSource = 'user' | 'pilot';

export interface DriveDecision extends Steering {
  /** 'pilot' whenever the pilot's output is used (local_angle and local) */
  source: DriveSource;
}

export function isDriveMode(value: unknown): value is DriveMode {
  return typeof value === 'string' && (DRIVE_MODES as readonly string[]).includes(value);
}

/** The mode after `mode` in the cycle user → local_angle → local → user (a wheel button). */
export function nextMode(mode: DriveMode): DriveMode {
  const at = DRIVE_MODES.indexOf(mode);
  return DRIVE_MODES[(at + 1) % DRIVE_MODES.length] ?? 'user';
}

export interface DriveSafety {
  /** forces throttle 0 whatever the mode */
  estop?: boolean;
  /** the link to the NUC is down and the car is configured to stop then (`car.drive.onLinkLoss: stop`) */
  stopForLinkLoss?: boolean;
  /** the race holds the car (grid, start lights, after the flag) */
  hold?: boolean;
}

/**
 * What to drive with. In a pilot mode without pilot output yet (no frame, inference failed) the
 * answer is stop and straight: never silently fall back to something that drives. `estop` forces
 * throttle 0 whatever the mode; a pilot told to stop on link loss keeps steering at throttle 0 (in
 * `user` mode the driver's stale control already means throttle 0); `hold` (the race holds the car:
 * grid, start lights) forces the pilot's throttle to 0 in `local`, and leaves a human's throttle
 * alone, so a driver can jump the start.
 */
export function decideDrive(mode: DriveMode, user: Steering, pilot?: Steering, safety: DriveSafety = {}): DriveDecision {
  let decision: DriveDecision;
  switch (mode) {
    case 'user':
      decision = { angle: clampUnit(user.angle), throttle: clampUnit(user.throttle), source: 'user' };
      break;
    case 'local_angle':
      decision = pilot
        ? { angle: clampUnit(pilot.angle), throttle: clampUnit(user.throttle), source: 'pilot' }
        : { angle: 0, throttle: 0, source: 'pilot' };
      break;
    case 'local':
      decision = pilot
        ? { angle: clampUnit(pilot.angle), throttle: clampUnit(pilot.throttle), source: 'pilot' }
        : { angle: 0, throttle: 0, source: 'pilot' };
      break;
    default:
      // A mode this build does not know (a newer sender): stop.
      decision = { angle: 0, throttle: 0, source: 'user' };
  }
  if (safety.estop || (safety.stopForLinkLoss && decision.source === 'pilot') || (safety.hold && mode === 'local')) decision.throttle = 0;
  return decision;
}
