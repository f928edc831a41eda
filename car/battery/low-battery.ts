/**
 * Judges a low battery from the gauge's readings (pure): the voltage averaged over a short window, so
 * one sag under full throttle does not raise the warning, and a hysteresis band, so a battery that
 * recovers a little at rest does not clear it and raise it again.
 */

export interface LowBatteryOptions {
  lowVolts: number;
  hysteresisVolts: number;
  /** readings averaged */
  window: number;
}

export class LowBatteryJudge {
  private readonly recent: number[] = [];
  private lowNow = false;

  constructor(private readonly options: LowBatteryOptions) {
    if (!Number.isInteger(options.window) || options.window < 1) throw new RangeError(`the averaging window must be a positive number of readings, got ${options.window}`);
  }

  /** Takes a reading's voltage; returns whether the battery counts as low now. */
  add(volts: number): boolean {
    if (!Number.isFinite(volts)) return this.lowNow;
    this.recent.push(volts);
    if (this.recent.length > this.options.window) this.recent.shift();
    const average = this.average;
    if (this.lowNow) this.lowNow = average < this.options.lowVolts + this.options.hysteresisVolts;
    else this.lowNow = average < this.options.lowVolts;
    return this.lowNow;
  }

  get low(): boolean {
    return this.lowNow;
  }

  /** the averaged voltage, or NaN before the first reading */
  get average(): number {
    return this.recent.length === 0 ? Number.NaN : this.recent.reduce((sum, v) => sum + v, 0) / this.recent.length;
  }

  /** Forgets the readings (the gauge lost the chip): the next ones start afresh. */
  reset(): void {
    this.recent.length = 0;
    this.lowNow = false;
  }
}
