/**
 * The actuator's calibration state (Donkeycar's `calibrate`, driven from the dashboard): while it
 * lasts, drive commands do not reach the chip; the steering and throttle channels hold raw counts
 * chosen on the page. The throttle is capped to a band around neutral and falls back to neutral when
 * estop latches or the page stops sending (closed, or its link gone). Pure: the caller passes the time.
 */

export interface ChannelCounts {
  steeringCount: number;
  throttleCount: number;
}

export interface CalibrationSessionOptions {
  /** how far from neutral (in counts) the throttle may be moved while calibrating */
  throttleCap: number;
  /** no `set` for this long: throttle back to neutral */
  holdMs: number;
}

export interface Neutral {
  /** the throttle count that stops the car (the ESC's neutral) */
  stoppedCount: number;
  /** the steering count for straight ahead */
  centreCount: number;
}

export interface SetOutcome {
  counts: ChannelCounts;
  /** the asked throttle was beyond the cap and was limited to it */
  throttleCapped: boolean;
}

export class CalibrationSession {
  private active = false;
  private counts: ChannelCounts;
  private lastSetAt = Number.NEGATIVE_INFINITY;

  constructor(
    private neutral: Neutral,
    private readonly options: CalibrationSessionOptions,
  ) {
    if (!(options.throttleCap >= 0) || !(options.holdMs > 0)) throw new RangeError('calibration needs a throttle cap ≥ 0 and a positive hold time');
    this.counts = { steeringCount: neutral.centreCount, throttleCount: neutral.stoppedCount };
  }

  get calibrating(): boolean {
    return this.active;
  }

  /** Enters the state at straight ahead and neutral throttle. */
  enter(now: number): ChannelCounts {
    this.active = true;
    this.counts = { steeringCount: this.neutral.centreCount, throttleCount: this.neutral.stoppedCount };
    this.lastSetAt = now;
    return this.counts;
  }

  exit(): void {
    this.active = false;
  }

  /** Moves either channel; throws when not calibrating (the command is refused, nothing moves). */
  set(patch: Partial<ChannelCounts>, now: number): SetOutcome {
    if (!this.active) throw new Error('not in the calibration state: enter it first');
    let throttleCapped = false;
    const next = { ...this.counts };
    if (patch.steeringCount !== undefined) next.steeringCount = patch.steeringCount;
    if (patch.throttleCount !== undefined) {
      const { stoppedCount } = this.neutral;
      const low = stoppedCount - this.options.throttleCap;
      const high = stoppedCount + this.options.throttleCap;
      next.throttleCount = Math.min(high, Math.max(low, patch.throttleCount));
      throttleCapped = next.throttleCount !== patch.throttleCount;
    }
    this.counts = next;
    this.lastSetAt = now;
    return { counts: next, throttleCapped };
  }

  /** A newly saved calibration moves neutral; a throttle held at the old neutral follows it. */
  recalibrate(neutral: Neutral): void {
    if (this.counts.throttleCount === this.neutral.stoppedCount) this.counts = { ...this.counts, throttleCount: neutral.stoppedCount };
    this.neutral = neutral;
  }

  /** What the channels hold now. */
  target(now: number, estopped: boolean): ChannelCounts {
    const silent = now - this.lastSetAt > this.options.holdMs;
    return estopped || silent ? { ...this.counts, throttleCount: this.neutral.stoppedCount } : this.counts;
  }
}
