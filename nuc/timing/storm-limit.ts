/**
 * A bound on crossings per minute: a faulty sensor or a flood of forged laps must not become a flood
 * of laps. At most `max` accepted in any `windowMs`; the rest are refused (the caller counts them).
 * Memory is at most `max` timestamps.
 */
export class StormLimit {
  private readonly accepted: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs = 60_000,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${max}`);
  }

  /** Whether a crossing at `atMs` may pass (and if so, it is remembered). */
  accept(atMs: number): boolean {
    while (this.accepted.length > 0 && atMs - this.accepted[0]! >= this.windowMs) this.accepted.shift();
    if (this.accepted.length >= this.max) return false;
    this.accepted.push(atMs);
    return true;
  }
}
