/**
 * The calibration page's REST side and its pure rules: what the car's actuator holds (from its
 * gauges, via the NUC), the commands it takes (token), and the ranges the page offers. The throttle
 * band mirrors the actuator's own cap, so the page never asks for what the car would clip.
 */
import type { CalibrateReply, CalibrateRequest, CalibrationReply } from '../../nuc/server/wire.ts';
import { json, send } from './rest.ts';

export type { CalibrateRequest, CalibrationReply };

/** The 12-bit counts of a PCA9685 channel. */
export const MAX_COUNT = 4095;
/** The actuator brings the throttle to neutral after 1 s without a command: repeat well inside that. */
export const KEEPALIVE_MS = 250;
/** Slack either side of the steering's saved end points, so the page can find ends beyond them. */
const STEERING_SLACK = 150;

export interface CountRange {
  min: number;
  max: number;
}

export async function fetchCalibration(car: string): Promise<CalibrationReply> {
  return json<CalibrationReply>(await fetch(`/api/cars/${encodeURIComponent(car)}/calibration`));
}

export function sendCalibrate(car: string, token: string, request: CalibrateRequest): Promise<CalibrateReply> {
  return send<CalibrateReply>('POST', `/api/cars/${encodeURIComponent(car)}/calibrate`, token, request);
}

export function clampCount(value: number, range: CountRange = { min: 0, max: MAX_COUNT }): number {
  if (!Number.isFinite(value)) return range.min;
  return Math.min(range.max, Math.max(range.min, Math.round(value)));
}

/** The throttle counts the actuator allows while calibrating: stopped ± its cap; null until reported. */
export function throttleBand(reply: CalibrationReply | undefined): CountRange | null {
  const stopped = reply?.saved.throttle.stoppedCount ?? null;
  const cap = reply?.throttleCap ?? null;
  if (stopped === null || cap === null) return null;
  return { min: Math.max(0, stopped - cap), max: Math.min(MAX_COUNT, stopped + cap) };
}

/** The steering slider: the saved end points with some slack; the whole chip until reported. */
export function steeringRange(reply: CalibrationReply | undefined): CountRange {
  const { leftCount, rightCount } = reply?.saved.steering ?? { leftCount: null, rightCount: null };
  if (leftCount === null || rightCount === null) return { min: 0, max: MAX_COUNT };
  return { min: Math.max(0, Math.min(leftCount, rightCount) - STEERING_SLACK), max: Math.min(MAX_COUNT, Math.max(leftCount, rightCount) + STEERING_SLACK) };
}

/** Straight ahead and stopped as the actuator computes them when calibration is entered. */
export function neutralCounts(reply: CalibrationReply | undefined): { steeringCount: number; throttleCount: number } | null {
  const { leftCount, rightCount } = reply?.saved.steering ?? { leftCount: null, rightCount: null };
  const stopped = reply?.saved.throttle.stoppedCount ?? null;
  if (leftCount === null || rightCount === null || stopped === null) return null;
  return { steeringCount: Math.round((leftCount + rightCount) / 2), throttleCount: stopped };
}

export interface SaveCounts {
  leftCount: number;
  rightCount: number;
  forwardCount: number;
  stoppedCount: number;
  reverseCount: number;
}

/** Why the actuator would refuse these counts (it checks again and stays authoritative), or null. */
export function saveProblem(c: SaveCounts): string | null {
  const counts = Object.entries(c) as [keyof SaveCounts, number][];
  const bad = counts.find(([, value]) => !Number.isInteger(value) || value < 0 || value > MAX_COUNT);
  if (bad) return `${bad[0]} must be a whole count from 0 to ${MAX_COUNT}`;
  if (c.leftCount === c.rightCount) return 'left and right must differ';
  const between = (c.forwardCount > c.stoppedCount && c.stoppedCount > c.reverseCount) || (c.forwardCount < c.stoppedCount && c.stoppedCount < c.reverseCount);
  if (!between) return `stopped ${c.stoppedCount} must lie strictly between reverse ${c.reverseCount} and forward ${c.forwardCount}`;
  return null;
}
