/**
 * Where the start/finish line is on the shared track: the simulator's track file, the same geometry
 * the cars drive on and the shared track's poses are in. Undefined when the track cannot be read (no
 * car is then named from poses).
 */
import { loadTrack } from '../../world/index.ts';
import type { StartLine } from './assign-car.ts';

export function startLineOf(trackName: string): StartLine | undefined {
  try {
    const track = loadTrack(trackName);
    return { ...track.startPose, halfWidth: track.width / 2 };
  } catch {
    return undefined;
  }
}
