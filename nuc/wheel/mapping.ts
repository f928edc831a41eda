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
 * steering_scale, steering_veer, steering_range, throttle_scale and top_speed.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { AxisSample, PedalSample } from './types.ts';

/** The talk's fixed steering gain before steeringScale. */
export const STEERING_GAIN = 8.0;
/** The talk's top speed unit: throttle is clipped to topSpeed / 80. */
export const TOP_SPEED_FULL = 80;

const strict = { additionalProperties: false } as const;
const ButtonList = (names: string[], description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 16, default: names, description });

export const WheelButtonsSchema = Type.Object(
  {
    cycleMode: ButtonList(['north'], 'cycle the drive mode: user → local_angle → local'),
    toggleRecording: ButtonList(['west'], 'start / stop recording a tub'),
    estop: ButtonList(['east'], 'latch the emergency stop; press again to clear it'),
    topSpeedUp: ButtonList(['dpad_up'], 'raise topSpeed by topSpeedStep'),
    topSpeedDown: ButtonList(['dpad_down'], 'lower topSpeed by topSpeedStep'),
    trimLeft: ButtonList(['dpad_left'], 'steeringVeer -= trimStep'),
    trimRight: ButtonList(['dpad_right'], 'steeringVeer += trimStep'),
  },
  { ...strict, default: {} },
);

export const WheelMappingSchema = Type.Object(
  {
    steeringScale: Type.Number({ exclusiveMinimum: 0, maximum: 8, default: 1, description: 'talk: steering_scale' }),
    steeringVeer: Type.Number({ minimum: -0.5, maximum: 0.5, default: 0, description: 'talk: steering_veer (trim)' }),
    steeringRange: Type.Number({ minimum: 0.05, maximum: 1, default: 1, description: 'talk: steering_range' }),
    throttleScale: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'talk: throttle_scale' }),
    throttleBase: Type.Number({ minimum: 0.001, maximum: 0.99, default: 0.03, description: 'base of the negative exponential' }),
    topSpeed: Type.Number({ minimum: 0, maximum: TOP_SPEED_FULL, default: 40, description: 'talk: top_speed; throttle ≤ topSpeed/80' }),
    topSpeedStep: Type.Number({ minimum: 0.5, maximum: 40, default: 4 }),
    trimStep: Type.Number({ minimum: 0.001, maximum: 0.1, default: 0.01 }),
    /** pedal travel at or below this counts as released (a released 8-bit pedal reads real = 1/256) */
    pedalDeadzone: Type.Number({ minimum: 0, maximum: 0.3, default: 0.02 }),
    /** 'brake': brake pedal → negative throttle (brakeScale × travel), overriding the gas;
     *  'reverse': brake pedal drives backwards on the throttle curve × reverseScale; 'ignore': unused */
    brakeMode: Type.Union([Type.Literal('brake'), Type.Literal('reverse'), Type.Literal('ignore')], { default: 'brake' }),
    brakeScale: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    reverseScale: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    /** override a profile's pedal direction if a wheel's pedals read backwards */
    pedalPolarity: Type.Union([Type.Literal('profile'), Type.Literal('normal'), Type.Literal('inverted')], {
      default: 'profile',
    }),
    buttons: WheelButtonsSchema,
  },
  { ...strict, default: {} },
);

export type WheelMappingConfig = Static<typeof WheelMappingSchema>;
export type WheelButtonsConfig = Static<typeof WheelButtonsSchema>;
export type WheelAction = keyof WheelButtonsConfig;

export const DEFAULT_WHEEL_BUTTONS: WheelButtonsConfig = {
  cycleMode: ['north'],
  toggleRecording: ['west'],
  estop: ['east'],
  topSpeedUp: ['dpad_up'],
  topSpeedDown: ['dpad_down'],
  trimLeft: ['dpad_left'],
  trimRight: ['dpad_right'],
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
