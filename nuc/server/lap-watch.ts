/**
 * A lap time is believed only when the NUC watched the lap take about that long: from the telemetry
 * in which the car's lap count last went up to the one in which it went up again, by the NUC's own
 * clock. A forged report of a 0.001 s lap (or a lap the NUC did not see start) is not a lap. (Who may
 * publish a car's telemetry at all is the bus's to decide: its CURVE keys and roles.)
 */

/**
 * No lap on a track the size of a room is shorter than this; it also keeps the tolerance below from
 * passing a pair of forged reports sent a moment apart.
 */
export const MIN_LAP_S = 2;

/** how far a reported lap may differ from the time the NUC watched it take */
export function lapTolerance(timeS: number): number {
  return Math.max(1, 0.1 * timeS);
}

export class LapWatch {
  /** per car: the lap count last seen and when (NUC clock, ms) it was first seen */
  private readonly counts = new Map<string, { lap: number; since: number }>();

  /** Feeds one telemetry's lap count; answers whether a lap just completed in `timeS` is believable. */
  observe(car: string, lap: number, timeS: number | undefined, now: number): boolean {
    const last = this.counts.get(car);
    if (last && last.lap === lap) return false;
    this.counts.set(car, { lap, since: now });
    // a count that went down (a reset) or that the NUC sees for the first time starts watching
    if (!last || lap !== last.lap + 1 || timeS === undefined || timeS < MIN_LAP_S) return false;
    const watchedS = (now - last.since) / 1000;
    return Math.abs(timeS - watchedS) <= lapTolerance(timeS);
  }

  forget(car: string): void {
    this.counts.delete(car);
  }
}
