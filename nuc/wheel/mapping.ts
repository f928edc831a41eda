/**
 * The mapping from the talk this project grew from, as pure functions, and its configuration.
 *
 *   steering: centred = (raw16 - 32768) / 32768
 *             angle   = clip(centred * 8.0 * steeringScale + steeringVeer, -steeringRange, +steeringRange)
 *   throttle: real     = (256 - value8) / 256                       (8-bit pedal, inverted: 255 = released)
 *             throttle = min((1 - base^real) / (1 - base) * throttleScale, topSpeed / 80)   base = 0.03
 *
 * steeringScale = 1 means full lock at 1/8 of the wheel's half range: about ±56° of wheel rotation on a
 * wheel set to 900°, which feels like a road car for a 1:10 RC car. The talk's names were
 * steering_scale, steering_veer, steering_range, throttle_scale and top_speed. The configuration's
 * schema is with the others in runtime/config-schema.ts (`wheel.mapping`).
 */
import { TOP_SPEED_FULL, type WheelButtonsConfig, type WheelMappingConfig } from '../../runtime/index.ts';
import type { AxisSample, PedalSample } from './types.ts';

/** The talk's fixed steering gain before steeringScale. */
export const STEERING_GAIN = 8.0;

export type WheelAction = keyof WheelButtonsConfig;

export const DEFAULT_WHEEL_BUTTONS: WheelButtonsConfig = {
  cycleMode: ['north'],
  toggleRecording: ['west'],
  estop: ['east'],
  topSpeedUp: ['dpad_up'],
  topSpeedDown: ['dpad_down'],
  trimLeft: ['dpad_left'],
  trimRight: ['dpad_right'],
  resetCar: ['south'],
  eraseRecords: ['select'],
};

export const DEFAULT_WHEEL_MAPPING: WheelMappingConfig = {
  steeringScale: 1,
  steeringVeer: 0,
  steeringRange: 1,
  throttleScale: 1,
  throttleBase: 0.03,
  topSpeed: 40,
  topSpeedStep: 4,
  trimStep: 0.01,
  pedalDeadzone: 0.02,
  brakeMode: 'brake',
  brakeScale: 0.5,
  reverseScale: 0.5,
  pedalPolarity: 'profile',
  buttons: DEFAULT_WHEEL_BUTTONS,
};

export const clip = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** A native axis centred to -1 .. +1; for 16 bits this is exactly (raw16 - 32768) / 32768. */
export function centredAxis(sample: AxisSample): number {
  const half = 2 ** (sample.bits - 1);
  return (sample.value - half) / half;
}

/**
 * Pedal travel as the talk's `real`: for an inverted pedal (2^bits - value) / 2^bits, exactly
 * (256 - value) / 256 for 8 bits. A non-inverted pedal is mirrored first, so both read 1/2^bits released.
 */
export function pedalTravel(sample: PedalSample, polarity: WheelMappingConfig['pedalPolarity'] = 'profile'): number {
  const full = 2 ** sample.bits;
  const inverted = polarity === 'profile' ? sample.inverted : polarity === 'inverted';
  const value = inverted ? sample.value : full - 1 - sample.value;
  return (full - value) / full;
}

export function steeringAngle(centred: number, config: WheelMappingConfig): number {
  const angle = centred * STEERING_GAIN * config.steeringScale + config.steeringVeer;
  return clip(angle, -config.steeringRange, config.steeringRange);
}

/** The negative exponential curve: 0 at real 0, 1 at real 1, steep at first. */
export const negativeExponential = (real: number, base: number): number => (1 - base ** real) / (1 - base);

export function throttleFromPedal(real: number, config: WheelMappingConfig): number {
  if (real <= config.pedalDeadzone) return 0;
  const curve = negativeExponential(clip(real, 0, 1), config.throttleBase) * config.throttleScale;
  return Math.min(curve, config.topSpeed / TOP_SPEED_FULL);
}

/** Final throttle in [-1, 1] from gas and brake travel, per brakeMode. The brake wins when both are pressed. */
export function combinedThrottle(gas: number, brake: number, config: WheelMappingConfig): number {
  const braking = config.brakeMode !== 'ignore' && brake > config.pedalDeadzone;
  if (!braking) return throttleFromPedal(gas, config);
  if (config.brakeMode === 'brake') return -clip(brake, 0, 1) * config.brakeScale;
  return -throttleFromPedal(brake, config) * config.reverseScale;
}
