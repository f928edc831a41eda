/**
 * The longest time between two applies of the outputs over the last few seconds, for the metrics
 * gauge `apply_gap_max_ms`: what a driver would feel as a missed beat (an OS install sharing the CPU,
 * a slow I2C write). Kept per second, so it needs no list of every apply; a loop that stopped
 * altogether shows as the time since its last apply. Pure: the caller passes the clock.
 */
export class ApplyGaps {
  private last: number | undefined;
  /** the longest gap that ended in each of the last `windowS` seconds, by second */
  private readonly buckets = new Map<number, number>();

  constructor(private readonly windowS = 10) {}

  applied(nowMs: number): void {
    if (this.last !== undefined) {
      const second = Math.floor(nowMs / 1000);
      this.buckets.set(second, Math.max(this.buckets.get(second) ?? 0, nowMs - this.last));
      for (const key of this.buckets.keys()) if (key <= second - this.windowS) this.buckets.delete(key);
    }
    this.last = nowMs;
  }

  /** ms; 0 before the second apply */
  maxGapMs(nowMs: number): number {
    const since = Math.floor(nowMs / 1000) - this.windowS;
    let max = this.last === undefined ? 0 : nowMs - this.last;
    for (const [second, gap] of this.buckets) if (second > since) max = Math.max(max, gap);
    return Math.round(max * 10) / 10;
  }
}
