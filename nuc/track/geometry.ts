/**
 * The shared track as the NUC sees it: the simulator's track file (the same file every simulated
 * car drives on), reduced to what race control and the track map need: the loop's length, the
 * distance a car has raced from where it stands, and the outline to draw.
 */
import { loadTrack, type Track } from '../../world/index.ts';

/** The centre line as the map draws it: a point every this many metres is smooth at any screen size. */
const OUTLINE_SPACING_M = 0.25;

export interface TrackOutline {
  name: string;
  /** road width, metres */
  width: number;
  /** loop length, metres */
  length: number;
  /** the closed centre line, [x, y] in metres, from the start line in the racing direction */
  points: Array<[number, number]>;
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
}

export class TrackGeometry {
  private constructor(private readonly track: Track) {}

  /** A track by name, as `car.sim.track` names it (a built-in or a track file). */
  static load(name: string): TrackGeometry {
    return new TrackGeometry(loadTrack(name));
  }

  get name(): string {
    return this.track.name;
  }

  get length(): number {
    return this.track.length;
  }

  /**
   * Metres raced from the start line: whole laps plus the progress into this one. A car on the grid
   * that has not yet crossed the line (`behindLine`) is at a small negative distance.
   */
  raceDistance(lap: number, progress: number, behindLine: boolean): number {
    return lap * this.track.length + (behindLine ? progress - this.track.length : progress);
  }

  /** Whether a car still behind the line after a grid start has now crossed it (or never was behind). */
  stillBehindLine(wasBehind: boolean, lap: number, progress: number): boolean {
    return wasBehind && lap === 0 && progress > this.track.length / 2;
  }

  outline(): TrackOutline {
    const step = Math.max(1, Math.round(OUTLINE_SPACING_M / (this.track.length / this.track.centerline().xs.length)));
    const { xs, ys } = this.track.centerline();
    const points: Array<[number, number]> = [];
    for (let i = 0; i < xs.length; i += step) points.push([round(xs[i]!), round(ys[i]!)]);
    return { name: this.track.name, width: this.track.width, length: round(this.track.length), points, bounds: this.track.bounds };
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
