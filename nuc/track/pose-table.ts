/**
 * Every car's newest pose on the shared track, from its telemetry: a bounded table (at most
 * MAX_TRACK_CARS cars; a car silent for `expireMs` is dropped), read out as the `nuc/track/poses`
 * message's cars. Cars on another track are not on this one.
 */
import { MAX_TRACK_CARS, type CarPose, type SimState } from '../../protocol/index.ts';

export interface TrackedCar {
  car: string;
  sim: SimState;
  /** when the NUC received it (ms, its own clock) */
  at: number;
}

export interface PoseTableStats {
  /** telemetry refused: another track, or the table full of other cars */
  refused: Record<'other-track' | 'full', number>;
}

export class PoseTable {
  private readonly cars = new Map<string, TrackedCar>();
  readonly stats: PoseTableStats = { refused: { 'other-track': 0, full: 0 } };

  constructor(
    readonly track: string,
    private readonly expireMs = 3000,
    private readonly capacity = MAX_TRACK_CARS,
  ) {}

  /** Takes a car's telemetry; false when it was refused (and counted). */
  ingest(car: string, sim: SimState, at: number): boolean {
    if (sim.track !== this.track) {
      this.stats.refused['other-track']++;
      return false;
    }
    if (!this.cars.has(car)) {
      this.expire(at);
      if (this.cars.size >= this.capacity) {
        this.stats.refused.full++;
        return false;
      }
    }
    this.cars.set(car, { car, sim, at });
    return true;
  }

  get(car: string): TrackedCar | undefined {
    return this.cars.get(car);
  }

  /** The cars reporting now, oldest entries expired first. */
  current(now: number): TrackedCar[] {
    this.expire(now);
    return [...this.cars.values()];
  }

  poses(now: number): CarPose[] {
    return this.current(now).map(({ car, sim, at }) => ({
      car,
      x: clampAbs(sim.x, 1e4),
      y: clampAbs(sim.y, 1e4),
      heading: Math.atan2(Math.sin(sim.heading), Math.cos(sim.heading)),
      speed: clampAbs(sim.speed, 100),
      ageMs: Math.min(60_000, Math.max(0, Math.round(now - at))),
    }));
  }

  private expire(now: number): void {
    for (const [car, entry] of this.cars) if (now - entry.at > this.expireMs) this.cars.delete(car);
  }
}

/** Within ±limit, as the poses schema bounds it (a runaway simulated value must not make the message invalid). */
function clampAbs(value: number, limit: number): number {
  return Number.isFinite(value) ? Math.max(-limit, Math.min(limit, value)) : 0;
}
