/**
 * Steering and throttle live in [-1, 1] everywhere: on the bus, in the pilot, the actuator, the
 * simulator and the evaluation. One clamp, so they all treat a bad value the same way.
 */

/** Clamps to [-1, 1]; NaN (or a non-number from outside) becomes 0, so a bad value never means full lock or full throttle. */
export function clampUnit(value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return 0;
  return Math.min(1, Math.max(-1, value));
}
