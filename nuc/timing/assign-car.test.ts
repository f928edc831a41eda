import { describe, expect, it } from 'vitest';
import { assignCar, placeAt, type KnownPose, type StartLine } from './assign-car.ts';

// the line at the origin, racing towards +x, on a 1 m wide road
const LINE: StartLine = { x: 0, y: 0, heading: 0, halfWidth: 0.5 };
const pose = (car: string, x: number, y = 0, extra: Partial<KnownPose> = {}): KnownPose => ({ car, x, y, heading: 0, speed: 0, atMs: 10_000, ...extra });

describe('placeAt', () => {
  it('measures along the racing direction and beside it', () => {
    const place = placeAt({ x: 1, y: 1, heading: Math.PI / 2, halfWidth: 0.5 }, 0.5, 3);
    expect(place.along).toBeCloseTo(2);
    expect(place.beside).toBeCloseTo(0.5);
  });
});

describe('assignCar', () => {
  it('names the one car at the line (a time trial)', () => {
    expect(assignCar(LINE, [pose('7', 0.2)], 10_000, 1)).toEqual({ car: '7', reason: 'only' });
  });

  it('carries a pose forward to the crossing time', () => {
    // 1.5 m before the line at 3 m/s, half a second before the crossing
    expect(assignCar(LINE, [pose('7', -1.5, 0, { speed: 3, atMs: 9_500 })], 10_000, 0.3)).toEqual({ car: '7', reason: 'only' });
    expect(assignCar(LINE, [pose('7', -1.5, 0, { speed: 0, atMs: 9_500 })], 10_000, 0.3)).toEqual({ car: undefined, reason: 'none-near' });
  });

  it('names the car at the line when the others are elsewhere on the track or off to the side', () => {
    const poses = [pose('1', 0.1), pose('2', 8), pose('3', 0, 4)];
    expect(assignCar(LINE, poses, 10_000, 1)).toEqual({ car: '1', reason: 'only' });
  });

  it('names the nearest of two only when the other is clearly further', () => {
    expect(assignCar(LINE, [pose('1', 0.05), pose('2', -0.9)], 10_000, 1)).toEqual({ car: '1', reason: 'nearest' });
    expect(assignCar(LINE, [pose('1', 0.05), pose('2', -0.3, 0.2)], 10_000, 1)).toEqual({ car: undefined, reason: 'ambiguous' });
  });

  it('names no car from stale or missing poses', () => {
    expect(assignCar(LINE, [], 10_000, 1)).toEqual({ car: undefined, reason: 'no-poses' });
    expect(assignCar(LINE, [pose('1', 0, 0, { atMs: 5_000 })], 10_000, 1)).toEqual({ car: undefined, reason: 'no-poses' });
    expect(assignCar(LINE, [pose('1', Number.NaN)], 10_000, 1)).toEqual({ car: undefined, reason: 'no-poses' });
  });
});
