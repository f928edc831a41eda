/**
 * The other cars on the shared track, from the NUC's `nuc/track/poses`: the newest pose of each,
 * extrapolated along its heading to now (poses come from 20 Hz telemetry and are tens of ms old),
 * and whether the race holds this car. Pure state; the services feed it messages and a clock.
 */
import type { HeaderOf } from '../protocol/index.ts';
import type { Pose } from './track.ts';

export interface SharedCar extends Pose {
  car: string;
  speed: number;
}

/** Poses not refreshed for this long are a car that left: it is no longer drawn or touched. */
const STALE_MS = 1000;
/** Extrapolate at most this far ahead: beyond it a guess is worse than the last pose. */
const MAX_EXTRAPOLATION_MS = 300;

export class SharedTrack {
  private poses: HeaderOf<'poses'> | undefined;
  /** when the newest message arrived, on this process's clock */
  private receivedAt = 0;

  constructor(
    /** this car, left out of `others()` */
    readonly self: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(poses: HeaderOf<'poses'>): void {
    this.poses = poses;
    this.receivedAt = this.now();
  }

  /** Every other car where it is now, as far as one can tell. */
  others(): SharedCar[] {
    const poses = this.poses;
    if (!poses) return [];
    const sinceReceived = this.now() - this.receivedAt;
    const out: SharedCar[] = [];
    for (const pose of poses.cars) {
      if (pose.car === this.self) continue;
      const ageMs = pose.ageMs + sinceReceived;
      if (ageMs > STALE_MS) continue;
      const ahead = (pose.speed * Math.min(ageMs, MAX_EXTRAPOLATION_MS)) / 1000;
      out.push({ car: pose.car, x: pose.x + Math.cos(pose.heading) * ahead, y: pose.y + Math.sin(pose.heading) * ahead, heading: pose.heading, speed: pose.speed });
    }
    return out;
  }

  /** The race holds this car (grid, start lights, after its finish): its pilot must not drive. */
  held(): boolean {
    const race = this.poses?.race;
    if (!race || this.now() - this.receivedAt > STALE_MS) return false;
    return race.hold.includes(this.self);
  }
}
