/**
 * The simulated cars' line crossings, from their telemetry at the NUC: a car's lap count going up by
 * one is a crossing. Its time is the NUC's receive time less the seconds the car says it has driven
 * since (`lapTimeS`), kept inside the interval in which the NUC saw the count change, so a car's
 * clock or a forged field can move it only within that interval (one telemetry period).
 */

export interface LapReport {
  lap: number;
  /** seconds into the current lap, by the car */
  lapTimeS: number;
}

export type SimLapVerdict =
  | { kind: 'crossing'; atMs: number }
  /** no change, or the first report of a car */
  | { kind: 'none' }
  /** the count went down or jumped (a reset, a restarted simulator): watched again from here */
  | { kind: 'jump' };

/** Cars remembered at most (the service feeds only known cars; this bounds it regardless). */
const MAX_CARS = 256;

export class SimLapCrossings {
  private readonly cars = new Map<string, { lap: number; atMs: number }>();

  observe(car: string, report: LapReport, receivedAtMs: number): SimLapVerdict {
    const last = this.cars.get(car);
    if (!last && this.cars.size >= MAX_CARS) this.evictOldest();
    this.cars.set(car, { lap: report.lap, atMs: receivedAtMs });
    if (!last || last.lap === report.lap) return { kind: 'none' };
    if (report.lap !== last.lap + 1) return { kind: 'jump' };
    const claimed = receivedAtMs - Math.max(0, report.lapTimeS) * 1000;
    return { kind: 'crossing', atMs: Math.min(receivedAtMs, Math.max(last.atMs, claimed)) };
  }

  forget(car: string): void {
    this.cars.delete(car);
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let oldestAt = Infinity;
    for (const [car, { atMs }] of this.cars) {
      if (atMs < oldestAt) {
        oldest = car;
        oldestAt = atMs;
      }
    }
    if (oldest !== undefined) this.cars.delete(oldest);
  }
}
