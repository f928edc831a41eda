/**
 * Control messages carry mode, recording and estop only when they change. Several inputs (the
 * wheel, the driver's screen) can then steer the same car's state without one silently undoing
 * another's change on its next report; the car keeps the state and reports it in telemetry.
 */
import type { MapperState } from './mapper.ts';

export type FlagChanges = Partial<MapperState>;

export function changedFlags(previous: MapperState | undefined, next: MapperState): FlagChanges {
  const changes: FlagChanges = {};
  if (previous?.mode !== next.mode) changes.mode = next.mode;
  if (previous?.recording !== next.recording) changes.recording = next.recording;
  if (previous?.estop !== next.estop) changes.estop = next.estop;
  return changes;
}
