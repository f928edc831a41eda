import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WHEEL_MAPPING,
  centredAxis,
  combinedThrottle,
  negativeExponential,
  pedalTravel,
  steeringAngle,
  throttleFromPedal,
} from './mapping.ts';
import type { WheelMappingConfig } from '../../runtime/index.ts';

const cfg = (patch: Partial<WheelMappingConfig> = {}): WheelMappingConfig => ({ ...DEFAULT_WHEEL_MAPPING, ...patch });
const raw16 = (value: number) => centredAxis({ value, bits: 16 });

describe('steering: clip((raw16 - 32768)/32768 * 8 * scale + veer, ±range)', () => {
  it('is straight at the centre value', () => {
    expect(steeringAngle(raw16(32768), cfg())).toBe(0);
  });
  it('reaches full lock at 1/8 of the half range with steeringScale 1', () => {
    expect(steeringAngle(raw16(32768 + 4096), cfg())).toBeCloseTo(1, 10);
    expect(steeringAngle(raw16(32768 - 2048), cfg())).toBeCloseTo(-0.5, 10);
  });
  it('clips at full lock of the wheel to ±steeringRange', () => {
    expect(steeringAngle(raw16(65535), cfg())).toBe(1);
    expect(steeringAngle(raw16(0), cfg({ steeringRange: 0.6 }))).toBe(-0.6);
  });
  it('adds the trim (veer) before clipping', () => {
    expect(steeringAngle(raw16(32768), cfg({ steeringVeer: 0.05 }))).toBeCloseTo(0.05, 10);
    expect(steeringAngle(raw16(65535), cfg({ steeringVeer: 0.2, steeringRange: 0.9 }))).toBe(0.9);
  });
  it('scales with steeringScale', () => {
    expect(steeringAngle(raw16(32768 + 4096), cfg({ steeringScale: 0.5 }))).toBeCloseTo(0.5, 10);
  });
  it('keeps full resolution of 14-bit wheels', () => {
    expect(centredAxis({ value: 8192, bits: 14 })).toBe(0);
    expect(centredAxis({ value: 0, bits: 14 })).toBe(-1);
  });
});

describe('pedal travel: real = (256 - value) / 256', () => {
  it('matches the talk for an inverted 8-bit pedal', () => {
    expect(pedalTravel({ value: 255, bits: 8, inverted: true })).toBe(1 / 256);
    expect(pedalTravel({ value: 128, bits: 8, inverted: true })).toBe(0.5);
    expect(pedalTravel({ value: 0, bits: 8, inverted: true })).toBe(1);
  });
  it('mirrors non-inverted pedals, and the polarity override flips them', () => {
    expect(pedalTravel({ value: 0, bits: 10, inverted: false })).toBe(1 / 1024);
    expect(pedalTravel({ value: 1023, bits: 10, inverted: false })).toBe(1);
    expect(pedalTravel({ value: 1023, bits: 10, inverted: true }, 'normal')).toBe(1);
  });
});

describe('throttle: (1 - 0.03^real) / (1 - 0.03) * scale, clipped to topSpeed/80', () => {
  const full = cfg({ topSpeed: 80 });
  it('is 0 with the pedal released (inside the deadzone)', () => {
    expect(throttleFromPedal(1 / 256, full)).toBe(0);
  });
  it('follows the negative exponential at half and full travel', () => {
    expect(throttleFromPedal(0.5, full)).toBeCloseTo((1 - Math.sqrt(0.03)) / 0.97, 12);
    expect(throttleFromPedal(0.5, full)).toBeCloseTo(0.852366, 5);
    expect(throttleFromPedal(1, full)).toBeCloseTo(1, 12);
    expect(negativeExponential(0, 0.03)).toBe(0);
  });
  it('is clipped to topSpeed / 80', () => {
    expect(throttleFromPedal(1, cfg({ topSpeed: 40 }))).toBe(0.5);
    expect(throttleFromPedal(0.1, cfg({ topSpeed: 40 }))).toBeCloseTo((1 - 0.03 ** 0.1) / 0.97, 12);
    expect(throttleFromPedal(1, cfg({ topSpeed: 0 }))).toBe(0);
  });
  it('applies throttleScale', () => {
    expect(throttleFromPedal(1, cfg({ topSpeed: 80, throttleScale: 0.25 }))).toBeCloseTo(0.25, 12);
  });
});

describe('brake pedal', () => {
  it("'brake' mode gives negative throttle and wins over the gas", () => {
    expect(combinedThrottle(1, 1, cfg({ brakeMode: 'brake', brakeScale: 0.5 }))).toBe(-0.5);
  });
  it("'reverse' mode drives backwards on the curve", () => {
    expect(combinedThrottle(0, 1, cfg({ brakeMode: 'reverse', reverseScale: 0.5, topSpeed: 80 }))).toBeCloseTo(-0.5, 12);
  });
  it("'ignore' mode leaves the gas alone", () => {
    expect(combinedThrottle(1, 1, cfg({ brakeMode: 'ignore', topSpeed: 80 }))).toBeCloseTo(1, 12);
  });
});
