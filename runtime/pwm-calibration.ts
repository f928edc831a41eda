/**
 * Donkeycar's PWM calibration model: steering and throttle in [-1, 1] map linearly onto
 * 12-bit PCA9685 counts, throttle separately above and below zero. Pure functions, so the
 * simulator can apply the exact inverse to the pulses it reads back from the chip.
 */
import { clampUnit } from './unit-range.ts';

/** The PCA9685 counts a 12-bit period: valid ON/OFF counts are 0..4095. */
export const PCA9685_MAX_COUNT = 4095;

export interface SteeringCalibration {
  channel: number;
  /** count for angle -1 (full left); Donkeycar default 460 */
  leftCount: number;
  /** count for angle +1 (full right); Donkeycar default 290 */
  rightCount: number;
}

export interface ThrottleCalibration {
  channel: number;
  /** count for throttle +1; Donkeycar default 500 */
  forwardCount: number;
  /** count for throttle 0, the ESC's neutral; Donkeycar default 370 */
  stoppedCount: number;
  /** count for throttle -1; Donkeycar default 220 */
  reverseCount: number;
}

export const DEFAULT_STEERING: SteeringCalibration = { channel: 1, leftCount: 460, rightCount: 290 };
export const DEFAULT_THROTTLE: ThrottleCalibration = {
  channel: 0,
  forwardCount: 500,
  stoppedCount: 370,
  reverseCount: 220,
};

export class CalibrationError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`calibration ${field}: ${reason}`);
    this.name = 'CalibrationError';
  }
}

function checkCount(field: string, count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > PCA9685_MAX_COUNT) {
    throw new CalibrationError(field, `must be an integer count in 0..${PCA9685_MAX_COUNT}, got ${count}`);
  }
}

function checkChannel(field: string, channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > 15) {
    throw new CalibrationError(field, `must be a PCA9685 channel 0..15, got ${channel}`);
  }
}

/** Throws a CalibrationError naming the field when a calibration cannot drive the chip safely. */
export function validateSteering(cal: SteeringCalibration): SteeringCalibration {
  checkChannel('steering.channel', cal.channel);
  checkCount('steering.leftCount', cal.leftCount);
  checkCount('steering.rightCount', cal.rightCount);
  if (cal.leftCount === cal.rightCount) {
    throw new CalibrationError('steering', 'leftCount and rightCount must differ');
  }
  return cal;
}

export function validateThrottle(cal: ThrottleCalibration): ThrottleCalibration {
  checkChannel('throttle.channel', cal.channel);
  checkCount('throttle.forwardCount', cal.forwardCount);
  checkCount('throttle.stoppedCount', cal.stoppedCount);
  checkCount('throttle.reverseCount', cal.reverseCount);
  const { forwardCount: f, stoppedCount: s, reverseCount: r } = cal;
  const between = (f > s && s > r) || (f < s && s < r);
  if (!between) {
    throw new CalibrationError('throttle.stoppedCount', `neutral ${s} must lie strictly between reverse ${r} and forward ${f}`);
  }
  return cal;
}

function lerp(from: number, to: number, t: number): number {
  return from + (to - from) * t;
}

export function angleToCount(cal: SteeringCalibration, angle: number): number {
  const t = (clampUnit(angle) + 1) / 2;
  return Math.round(lerp(cal.leftCount, cal.rightCount, t));
}

/** Inverse of angleToCount, clamped to [-1, 1]. */
export function countToAngle(cal: SteeringCalibration, count: number): number {
  const t = (count - cal.leftCount) / (cal.rightCount - cal.leftCount);
  return clampUnit(t * 2 - 1);
}

export function throttleToCount(cal: ThrottleCalibration, throttle: number): number {
  const value = clampUnit(throttle);
  if (value >= 0) return Math.round(lerp(cal.stoppedCount, cal.forwardCount, value));
  return Math.round(lerp(cal.stoppedCount, cal.reverseCount, -value));
}

/** Inverse of throttleToCount, clamped to [-1, 1]. */
export function countToThrottle(cal: ThrottleCalibration, count: number): number {
  const forwardSpan = cal.forwardCount - cal.stoppedCount;
  const offset = count - cal.stoppedCount;
  if (Math.sign(offset) === Math.sign(forwardSpan) || offset === 0) return clampUnit(offset / forwardSpan);
  return clampUnit(-offset / (cal.reverseCount - cal.stoppedCount));
}

/** Width in microseconds of a pulse `count` ticks long in a PWM period at `frequencyHz`. */
export function countToMicros(count: number, frequencyHz: number): number {
  return (count * 1e6) / frequencyHz / 4096;
}

export function microsToCount(micros: number, frequencyHz: number): number {
  return (micros * frequencyHz * 4096) / 1e6;
}
