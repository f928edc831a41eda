/**
 * Where cars stand on a track: the race grid behind the start line (two staggered columns), and the
 * nearest point of the centre line for a car put back on the track. Pure geometry on a Track.
 */
import type { Pose, Track } from './track.ts';

/** The first grid slot's distance behind the start line, and each further slot's. */
export const GRID_FIRST_M = 0.5;
export const GRID_SPACING_M = 0.7;

/** Grid slot `slot` (0 = pole): behind the line, alternately left and right of the centre, facing the racing direction. */
export function gridPose(track: Track, slot: number): Pose {
  if (!Number.isInteger(slot) || slot < 0) throw new RangeError(`grid slot must be an integer ≥ 0, got ${slot}`);
  const centre = track.pointAt(-(GRID_FIRST_M + slot * GRID_SPACING_M));
  // Pole on the left (anticlockwise of the heading), then alternate; a quarter of the road from the centre.
  const side = slot % 2 === 0 ? 1 : -1;
  const offset = (side * track.width) / 4;
  return {
    x: centre.x - Math.sin(centre.heading) * offset,
    y: centre.y + Math.cos(centre.heading) * offset,
    heading: centre.heading,
  };
}

/** The nearest point of the centre line to `pose`, facing the racing direction. */
export function nearestTrackPose(track: Track, pose: Pose): Pose {
  const here = track.closest(pose.x, pose.y);
  return { x: here.x, y: here.y, heading: here.heading };
}
