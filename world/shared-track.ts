/**
 * The other cars on the shared track, from the NUC's `nuc/track/poses`: the newest pose of each,
 * extrapolated along its heading to now (poses come from 20 Hz telemetry and are tens of ms old),
 * and whether the race holds this car. Pure state; the services feed it messages and a clock.
 *
 * The hold fails closed. It lasts until a newer message lifts it, however long the NUC is silent
 * (a car held on the grid must not drive off because its process, or the NUC's, stalled for a
 * second), and a reset to the grid holds the car by itself until a message sent after it says
 * otherwise (the reset and the poses that hold the car travel on different topics, so either may
 * arrive first). Only the full autopilot is held: a driver can always take the car.
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
  private holding = false;
  /** the NUC's send time of the newest reset to the grid: poses sent before it cannot lift the hold */
  private gridResetTs = -Infinity;

  constructor(
    /** this car, left out of `others()` */
    readonly self: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(poses: HeaderOf<'poses'>): void {
    this.poses = poses;
    this.receivedAt = this.now();
    const holds = poses.race?.hold.includes(this.self) ?? false;
    if (holds || poses.ts >= this.gridResetTs) this.holding = holds;
  }

  /** The NUC put this car on its grid slot (`ts`: the reset's send time): held from now. */
  resetToGrid(ts: number): void {
    this.gridResetTs = Math.max(this.gridResetTs, ts);
    this.holding = true;
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
    return this.holding;
  }
}
