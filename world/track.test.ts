import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TRACKS, loadTrack, loadTrackFile, parseTrack, TrackError } from './track-file.ts';
import { Track } from './track.ts';
import { minTurnRadius } from './vehicle.ts';

/** A 10 m × 10 m square, anticlockwise, starting mid-bottom heading +x; a point every metre keeps the sides straight. */
function squarePoints(): Array<[number, number]> {
  const corners: Array<[number, number]> = [[5, 0], [5, 10], [-5, 10], [-5, 0], [0, 0]];
  const points: Array<[number, number]> = [];
  let from: [number, number] = [0, 0];
  for (const to of corners) {
    const steps = Math.round(Math.hypot(to[0] - from[0], to[1] - from[1]));
    for (let i = 0; i < steps; i++) points.push([from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps]);
    from = to;
  }
  return points;
}
const square = new Track({ name: 'square', width: 1, points: squarePoints() });

function parseError(json: unknown): TrackError {
  try {
    parseTrack(typeof json === 'string' ? json : JSON.stringify(json), 'bad.json');
  } catch (error) {
    expect(error).toBeInstanceOf(TrackError);
    return error as TrackError;
  }
  throw new Error('expected a TrackError');
}

describe('track files', () => {
  it('ships two differently shaped tracks of Donkeycar scale', () => {
    const lengths = BUILTIN_TRACKS.map((name) => loadTrack(name).length);
    for (const name of BUILTIN_TRACKS) {
      const track = loadTrack(name);
      expect(track.width).toBeGreaterThanOrEqual(0.8);
      expect(track.width).toBeLessThanOrEqual(1.2);
      expect(track.length).toBeGreaterThan(20);
      expect(track.length).toBeLessThan(60);
    }
    expect(Math.abs(lengths[0]! - lengths[1]!)).toBeGreaterThan(1);
  });

  it('keeps every bend of the shipped tracks within the car\'s turning circle', () => {
    for (const name of BUILTIN_TRACKS) {
      const track = loadTrack(name);
      let sharpest = 0;
      for (let s = 0; s < track.length; s += 0.05) sharpest = Math.max(sharpest, Math.abs(track.curvatureAt(s)));
      expect(1 / sharpest, name).toBeGreaterThan(1.5 * minTurnRadius());
    }
  });

  it('names the file and the field for malformed input', () => {
    expect(parseError('{"width": 1, "points": [').message).toMatch(/bad\.json: \(json\): not valid JSON/);
    expect(parseError([1, 2]).field).toBe('(root)');
    expect(parseError({ width: 0, points: [[0, 0], [1, 0], [1, 1], [0, 1]] }).field).toBe('width');
    expect(parseError({ width: -1, points: [[0, 0], [1, 0], [1, 1], [0, 1]] }).message).toMatch(/width: must be a positive number/);
    expect(parseError({ width: '1', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }).field).toBe('width');
    expect(parseError({ width: 1 }).field).toBe('points');
    expect(parseError({ width: 1, points: [[0, 0], [1, 0], [1, 1]] }).message).toMatch(/points: needs at least 4 distinct points/);
    expect(parseError({ width: 1, points: [[0, 0], [1, 0], [1, 'x'], [0, 1]] }).field).toBe('points[2]');
    expect(parseError({ width: 1, points: [[0, 0], [1, 0], [1, 0], [1, 1], [0, 1]] }).field).toBe('points[2]');
    expect(parseError({ width: 1, points: [[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1]] }).message).toMatch(/only 0\.40 m long/);
    expect(parseError({ name: 7, width: 1, points: [[0, 0], [1, 0], [1, 1], [0, 1]] }).field).toBe('name');
  });

  it('accepts a loop closed explicitly by repeating the first point', () => {
    const track = parseTrack(JSON.stringify({ width: 1, points: [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]] }), 'closed.json');
    expect(track.name).toBe('closed');
    expect(track.length).toBeGreaterThan(12);
  });

  it('reports a missing file and an unknown track name clearly', () => {
    expect(() => loadTrackFile('/nonexistent/track.json')).toThrow(/track \/nonexistent\/track\.json: \(file\): cannot be read/);
    expect(() => loadTrack('monza')).toThrow(/neither a shipped track \(default, twisty\)/);
  });

  it('loads a track file from disk', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'track-')), 'mine.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'mine', width: 0.9, points: [[0, 0], [6, 0], [6, 4], [0, 4]] }));
    expect(loadTrack(file).name).toBe('mine');
  });
});

describe('track geometry', () => {
  it('starts at the first point heading towards the second', () => {
    const start = square.startPose;
    expect(start.x).toBeCloseTo(0, 6);
    expect(start.y).toBeCloseTo(0, 6);
    expect(start.heading).toBeCloseTo(0, 1);
  });

  it('signs the cross-track error positive right of the direction of travel', () => {
    // Heading +x along the bottom edge: right is −y.
    expect(square.closest(1, -0.3).cte).toBeCloseTo(0.3, 2);
    expect(square.closest(1, 0.3).cte).toBeCloseTo(-0.3, 2);
    // On the top edge the car travels −x, so right is +y.
    expect(square.closest(0, 10.2).cte).toBeCloseTo(0.2, 2);
  });

  it('measures progress along the loop from the start line', () => {
    expect(square.closest(2, 0.1).progress).toBeCloseTo(2, 1);
    const justBehind = square.closest(-0.5, 0).progress;
    expect(justBehind).toBeGreaterThan(square.length - 0.6);
    expect(square.progressDelta(justBehind, 0.5)).toBeCloseTo(1, 1);
    const p = square.pointAt(2 + square.length);
    expect(p.x).toBeCloseTo(2, 2);
    expect(p.y).toBeCloseTo(0, 2);
  });

  it('finds the same nearest point as a brute-force search, far and near', () => {
    const track = loadTrack('twisty');
    for (let i = 0; i < 400; i++) {
      const x = -6 + ((i * 7919) % 400) / 400 * 24;
      const y = -6 + ((i * 104729) % 400) / 400 * 18;
      const fast = track.closest(x, y);
      let best = Infinity;
      for (let s = 0; s < track.length; s += 0.01) {
        const p = track.pointAt(s);
        best = Math.min(best, Math.hypot(p.x - x, p.y - y));
      }
      expect(Math.abs(fast.cte)).toBeCloseTo(best, 2);
    }
  });

  it('turns left (positive curvature) in the anticlockwise corners', () => {
    expect(square.curvatureAt(5.5)).toBeGreaterThan(0);
  });
});
