/**
 * Which car crossed, when the sensor cannot say (a plain beam or strip): the car whose last known
 * pose on the shared track, carried forward to the crossing's time, puts it at the line, and no
 * other car near it. With one car on the track that is the car; with a pack at the line it is no
 * car, and race control or the timekeeper assigns the crossing. A guess that might be wrong would
 * give a lap to the wrong driver, so an unclear case is left open rather than decided.
 */

export interface StartLine {
  x: number;
  y: number;
  /** the racing direction at the line, radians */
  heading: number;
  /** half the road's width, metres */
  halfWidth: number;
}

export interface KnownPose {
  car: string;
  x: number;
  y: number;
  heading: number;
  /** m/s */
  speed: number;
  /** when the pose was true, ms on the NUC's clock */
  atMs: number;
}

export type Assignment =
  | { car: string; reason: 'only' | 'nearest' }
  | { car: undefined; reason: 'no-poses' | 'none-near' | 'ambiguous' };

/** a pose older than this says nothing about the line now */
const MAX_POSE_AGE_MS = 2000;
/** room beside the road (a car's half width, a pose slightly off) */
const SIDE_MARGIN_M = 0.3;

/** Metres along the racing direction past the line (negative: before it), and metres beside it. */
export function placeAt(line: StartLine, x: number, y: number): { along: number; beside: number } {
  const dx = x - line.x;
  const dy = y - line.y;
  const cos = Math.cos(line.heading);
  const sin = Math.sin(line.heading);
  return { along: dx * cos + dy * sin, beside: Math.abs(-dx * sin + dy * cos) };
}

export function assignCar(line: StartLine, poses: readonly KnownPose[], crossingAtMs: number, withinM: number): Assignment {
  const fresh = poses.filter((pose) => Math.abs(crossingAtMs - pose.atMs) <= MAX_POSE_AGE_MS && Number.isFinite(pose.x) && Number.isFinite(pose.y));
  if (fresh.length === 0) return { car: undefined, reason: 'no-poses' };
  const near = fresh
    .map((pose) => {
      const dt = (crossingAtMs - pose.atMs) / 1000;
      const speed = Number.isFinite(pose.speed) ? pose.speed : 0;
      const place = placeAt(line, pose.x + Math.cos(pose.heading) * speed * dt, pose.y + Math.sin(pose.heading) * speed * dt);
      return { car: pose.car, distance: Math.abs(place.along), beside: place.beside };
    })
    .filter((c) => c.distance <= withinM && c.beside <= line.halfWidth + SIDE_MARGIN_M)
    .sort((a, b) => a.distance - b.distance);
  if (near.length === 0) return { car: undefined, reason: 'none-near' };
  if (near.length === 1) return { car: near[0]!.car, reason: 'only' };
  // two cars at the line: name the nearest only when the next is clearly further away
  return near[1]!.distance - near[0]!.distance >= withinM / 2 ? { car: near[0]!.car, reason: 'nearest' } : { car: undefined, reason: 'ambiguous' };
}
