/**
 * Turns wheel states into controls: the talk's curves plus the button actions, which fire on the press
 * edge only (holding a button does not repeat it). Holds the NUC-side driving state (mode, recording,
 * estop) so every control carries it, and lets the NUC API change the mapping live.
 */
import { Value } from '@sinclair/typebox/value';
import type { DriveMode } from '../../protocol/index.ts';
import { TOP_SPEED_FULL, WheelMappingSchema, type WheelMappingConfig } from '../../runtime/index.ts';
import {
  centredAxis,
  clip,
  combinedThrottle,
  pedalTravel,
  steeringAngle,
  type WheelAction,
} from './mapping.ts';
import type { WheelControl, WheelReport, WheelState } from './types.ts';

/** The cycle order of the mode button. */
export const MODE_CYCLE: readonly DriveMode[] = ['user', 'local_angle', 'local'];

export interface MapperState {
  mode: DriveMode;
  recording: boolean;
  estop: boolean;
}

export interface ControlMapperOptions {
  initial?: Partial<MapperState>;
  /** called when a button changed the mapping (trim, top speed), so the caller can persist it */
  onConfigChange?: (config: WheelMappingConfig) => void;
}

export class ControlMapper {
  private mapping: WheelMappingConfig;
  private readonly driving: MapperState;
  private held = new Set<string>();
  private readonly onConfigChange: ((config: WheelMappingConfig) => void) | undefined;

  constructor(config: WheelMappingConfig, options: ControlMapperOptions = {}) {
    this.mapping = checkedMapping(config);
    this.driving = { mode: 'user', recording: false, estop: false, ...options.initial };
    this.onConfigChange = options.onConfigChange;
  }

  get config(): WheelMappingConfig {
    return this.mapping;
  }

  get state(): Readonly<MapperState> {
    return { ...this.driving };
  }

  /** Change mapping parameters live (the NUC API). Throws naming the bad field; nothing changes then. */
  updateConfig(patch: Partial<WheelMappingConfig>): WheelMappingConfig {
    this.mapping = checkedMapping({ ...this.mapping, ...patch });
    return this.mapping;
  }

  setMode(mode: DriveMode): void {
    if (!MODE_CYCLE.includes(mode)) throw new RangeError(`unknown drive mode "${String(mode)}"`);
    this.driving.mode = mode;
  }

  setRecording(recording: boolean): void {
    this.driving.recording = recording;
  }

  setEstop(estop: boolean): void {
    this.driving.estop = estop;
  }

  /** A native report through the profile's resolution and the configured pedal polarity. */
  normalize(report: WheelReport): WheelState {
    const polarity = this.mapping.pedalPolarity;
    return {
      steering: centredAxis(report.steering),
      throttle: pedalTravel(report.throttle, polarity),
      brake: pedalTravel(report.brake, polarity),
      clutch: report.clutch ? pedalTravel(report.clutch, polarity) : 0,
      buttons: report.buttons,
    };
  }

  mapReport(report: WheelReport, input: string): WheelControl {
    return this.map(this.normalize(report), input);
  }

  map(state: WheelState, input: string): WheelControl {
    const actions = this.pressedActions(state.buttons);
    for (const action of actions) this.apply(action);
    const angle = steeringAngle(state.steering, this.mapping);
    const throttle = this.driving.estop ? 0 : combinedThrottle(state.throttle, state.brake, this.mapping);
    const control = this.control(clip(angle, -1, 1), clip(throttle, -1, 1), input);
    // A reset or an erase is an event, not a state: it goes out once, with the report whose press asked for it.
    return {
      ...control,
      ...(actions.includes('resetCar') ? { reset: true as const } : {}),
      ...(actions.includes('eraseRecords') ? { erase: true as const } : {}),
    };
  }

  /** The control sent while no wheel is present: no user throttle, wheel straight. A re-plugged wheel starts fresh. */
  neutral(input = 'none'): WheelControl {
    this.held = new Set();
    return this.control(0, 0, input);
  }

  private control(angle: number, throttle: number, input: string): WheelControl {
    const { mode, recording, estop } = this.driving;
    return { angle, throttle, mode, recording, estop, input };
  }

  private pressedActions(buttons: ReadonlySet<string>): WheelAction[] {
    const pressed = [...buttons].filter((name) => !this.held.has(name));
    this.held = new Set(buttons);
    if (pressed.length === 0) return [];
    const bindings = this.mapping.buttons;
    return (Object.keys(bindings) as WheelAction[]).filter((action) => bindings[action].some((b) => pressed.includes(b)));
  }

  private apply(action: WheelAction): void {
    const m = this.mapping;
    switch (action) {
      case 'cycleMode': {
        const next = (MODE_CYCLE.indexOf(this.driving.mode) + 1) % MODE_CYCLE.length;
        this.driving.mode = MODE_CYCLE[next] ?? 'user';
        return;
      }
      case 'toggleRecording':
        this.driving.recording = !this.driving.recording;
        return;
      case 'estop':
        this.driving.estop = !this.driving.estop;
        return;
      case 'topSpeedUp':
        return this.tune({ topSpeed: clip(m.topSpeed + m.topSpeedStep, 0, TOP_SPEED_FULL) });
      case 'topSpeedDown':
        return this.tune({ topSpeed: clip(m.topSpeed - m.topSpeedStep, 0, TOP_SPEED_FULL) });
      case 'trimLeft':
        return this.tune({ steeringVeer: roundTrim(clip(m.steeringVeer - m.trimStep, -0.5, 0.5)) });
      case 'trimRight':
        return this.tune({ steeringVeer: roundTrim(clip(m.steeringVeer + m.trimStep, -0.5, 0.5)) });
      case 'resetCar':
      case 'eraseRecords':
        return; // sent by the bridge as its own message, see map()
    }
  }

  private tune(patch: Partial<WheelMappingConfig>): void {
    this.mapping = { ...this.mapping, ...patch };
    this.onConfigChange?.(this.mapping);
  }
}

/** Trim steps are decimal: keep 0.01 + 0.01 + 0.01 at 0.03, not 0.030000000000000002. */
const roundTrim = (value: number): number => Math.round(value * 1e6) / 1e6;

function checkedMapping(config: WheelMappingConfig): WheelMappingConfig {
  const withDefaults = Value.Default(WheelMappingSchema, structuredClone(config)) as WheelMappingConfig;
  const firstError = Value.Errors(WheelMappingSchema, withDefaults).First();
  if (firstError) {
    throw new RangeError(`wheel mapping: ${firstError.path || '/'} ${firstError.message} (got ${JSON.stringify(firstError.value)})`);
  }
  return withDefaults;
}
