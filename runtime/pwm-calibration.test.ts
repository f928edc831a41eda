import { describe, expect, it } from 'vitest';
import {
  CalibrationError,
  DEFAULT_STEERING,
  DEFAULT_THROTTLE,
  angleToCount,
  countToAngle,
  countToMicros,
  countToThrottle,
  microsToCount,
  throttleToCount,
  validateSteering,
  validateThrottle,
} from './pwm-calibration.ts';

describe('steering calibration', () => {
  it('maps -1 / 0 / +1 onto left / centre / right counts', () => {
    expect(angleToCount(DEFAULT_STEERING, -1)).toBe(460);
    expect(angleToCount(DEFAULT_STEERING, 0)).toBe(375);
    expect(angleToCount(DEFAULT_STEERING, 1)).toBe(290);
    expect(angleToCount(DEFAULT_STEERING, 0.5)).toBe(333); // 332.5 rounds up
  });

  it('clamps out-of-range and NaN angles into the calibrated range', () => {
    expect(angleToCount(DEFAULT_STEERING, 7)).toBe(290);
    expect(angleToCount(DEFAULT_STEERING, -Infinity)).toBe(460);
    expect(angleToCount(DEFAULT_STEERING, Number.NaN)).toBe(375);
  });

  it('inverts counts back to angles', () => {
    for (const angle of [-1, -0.4, 0, 0.6, 1]) {
      expect(countToAngle(DEFAULT_STEERING, angleToCount(DEFAULT_STEERING, angle))).toBeCloseTo(angle, 1);
    }
    expect(countToAngle(DEFAULT_STEERING, 100)).toBe(1);
  });
});

describe('throttle calibration', () => {
  it('maps forward and reverse halves separately', () => {
    expect(throttleToCount(DEFAULT_THROTTLE, 1)).toBe(500);
    expect(throttleToCount(DEFAULT_THROTTLE, 0)).toBe(370);
    expect(throttleToCount(DEFAULT_THROTTLE, -1)).toBe(220);
    expect(throttleToCount(DEFAULT_THROTTLE, 0.5)).toBe(435);
    expect(throttleToCount(DEFAULT_THROTTLE, -0.5)).toBe(295);
  });

  it('clamps and treats NaN as neutral', () => {
    expect(throttleToCount(DEFAULT_THROTTLE, 3)).toBe(500);
    expect(throttleToCount(DEFAULT_THROTTLE, -3)).toBe(220);
    expect(throttleToCount(DEFAULT_THROTTLE, Number.NaN)).toBe(370);
  });

  it('inverts counts on both sides of neutral', () => {
    expect(countToThrottle(DEFAULT_THROTTLE, 435)).toBeCloseTo(0.5);
    expect(countToThrottle(DEFAULT_THROTTLE, 295)).toBeCloseTo(-0.5);
    expect(countToThrottle(DEFAULT_THROTTLE, 370)).toBe(0);
    expect(countToThrottle(DEFAULT_THROTTLE, 4000)).toBe(1);
  });

  it('handles an ESC whose forward count is below neutral', () => {
    const inverted = { channel: 0, forwardCount: 250, stoppedCount: 370, reverseCount: 490 };
    expect(throttleToCount(inverted, 1)).toBe(250);
    expect(countToThrottle(inverted, 310)).toBeCloseTo(0.5);
    expect(countToThrottle(inverted, 430)).toBeCloseTo(-0.5);
  });
});

describe('calibration validation', () => {
  it('names the field that is outside the chip range', () => {
    expect(() => validateSteering({ ...DEFAULT_STEERING, leftCount: 5000 })).toThrow(/steering\.leftCount.*0\.\.4095/);
    expect(() => validateThrottle({ ...DEFAULT_THROTTLE, forwardCount: -1 })).toThrow(CalibrationError);
    let caught: unknown;
    try {
      validateThrottle({ ...DEFAULT_THROTTLE, forwardCount: 4096 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CalibrationError);
    expect((caught as CalibrationError).field).toBe('throttle.forwardCount');
  });

  it('refuses channels outside 0..15, equal steering ends and a neutral outside the range', () => {
    expect(() => validateSteering({ ...DEFAULT_STEERING, channel: 16 })).toThrow(/steering\.channel/);
    expect(() => validateSteering({ ...DEFAULT_STEERING, rightCount: 460 })).toThrow(/must differ/);
    expect(() => validateThrottle({ ...DEFAULT_THROTTLE, stoppedCount: 600 })).toThrow(/throttle\.stoppedCount/);
  });
});

describe('count ↔ microseconds', () => {
  it('converts at a given frequency and back', () => {
    expect(countToMicros(370, 60)).toBeCloseTo(1505.5, 1);
    expect(microsToCount(countToMicros(420, 50), 50)).toBeCloseTo(420);
  });
});
