/** The fields of a `car/<id>/telemetry` message, from the drive loop's state (pure). */
import type { BatteryStateFields, FieldsOf, LoopStats, SimState } from '../../protocol/index.ts';
import type { DriveDecision, DriveMode } from './modes.ts';

export interface TelemetryState {
  mode: DriveMode;
  decision: DriveDecision;
  /** the pilot in use, or undefined when none is loaded */
  pilotName: string | undefined;
  loop: LoopStats;
  recording: boolean;
  estop: boolean;
  /** the last inference time, when the pilot ran */
  inferMs?: number;
  speed?: number;
  sim?: SimState;
  /** the actuator's battery gauge, as it last reported it */
  battery?: BatteryStateFields;
}

const MAX_MODEL_NAME = 200; // the schema's limit

export function telemetryFields(state: TelemetryState): FieldsOf<'telemetry'> {
  const fields: FieldsOf<'telemetry'> = {
    mode: state.mode,
    angle: state.decision.angle,
    throttle: state.decision.throttle,
    model: (state.pilotName ?? 'none').slice(0, MAX_MODEL_NAME),
    loop: state.loop,
    recording: state.recording,
    estop: state.estop,
  };
  if (state.inferMs !== undefined && Number.isFinite(state.inferMs)) fields.inferMs = Math.max(0, state.inferMs);
  if (state.speed !== undefined && Number.isFinite(state.speed)) fields.speed = state.speed;
  if (state.sim) fields.sim = state.sim;
  if (state.battery) fields.battery = state.battery;
  return fields;
}
