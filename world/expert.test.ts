import { describe, expect, it } from 'vitest';
import { runExpert } from './expert-run.ts';
import { createExpert } from './expert.ts';
import { BUILTIN_TRACKS, loadTrack } from './track-file.ts';

describe('expert driver', () => {
  for (const name of BUILTIN_TRACKS) {
    it(`completes 3 laps of ${name} without leaving the road`, () => {
      const track = loadTrack(name);
      const run = runExpert({ track, laps: 3, controlHz: 20 });
      expect(run.telemetry.lap).toBe(3);
      expect(run.telemetry.offTrackEvents).toBe(0);
      expect(run.telemetry.cleanLaps).toBe(3);
      expect(run.maxAbsCte).toBeLessThan(track.width / 2);
      // Racing, not crawling: each lap at an average above 1.5 m/s.
      for (const lap of run.telemetry.laps) expect(track.length / lap).toBeGreaterThan(1.5);
    });
  }

  it('steers right (positive angle) when the road lies to the right, as Donkeycar does', () => {
    const track = loadTrack('default');
    const expert = createExpert(track);
    const start = track.startPose;
    // Left of the centerline on the straight: the road is to the right.
    const leftOfLine = { x: start.x, y: start.y + 0.3, heading: start.heading, speed: 1 };
    expect(expert(leftOfLine).angle).toBeGreaterThan(0.1);
    const rightOfLine = { x: start.x, y: start.y - 0.3, heading: start.heading, speed: 1 };
    expect(expert(rightOfLine).angle).toBeLessThan(-0.1);
  });

  it('slows for corners', () => {
    const track = loadTrack('twisty');
    const expert = createExpert(track);
    let sharpest = 0;
    for (let s = 0; s < track.length; s += 0.1) if (Math.abs(track.curvatureAt(s)) > Math.abs(track.curvatureAt(sharpest))) sharpest = s;
    const straight = track.pointAt(0.5);
    const corner = track.pointAt(sharpest);
    const cruising = expert({ ...straight, speed: 2 }).throttle;
    const cornering = expert({ ...corner, speed: 2 }).throttle;
    expect(cornering).toBeLessThan(cruising);
  });

  it('hands each command and the state it saw to a recorder', () => {
    const track = loadTrack('default');
    const records: number[] = [];
    runExpert({ track, laps: 1, onControl: (t, c) => records.push(t.t, c.angle) });
    expect(records.length).toBeGreaterThan(2 * 20 * 5);
  });
});
