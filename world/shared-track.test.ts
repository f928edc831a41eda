import { describe, expect, it } from 'vitest';
import { DirectPulses } from './direct-pulses.ts';
import { gridPose, nearestTrackPose } from './grid.ts';
import { createRenderer } from './render.ts';
import { SharedTrack } from './shared-track.ts';
import { loadTrack } from './track-file.ts';
import { CONTACT_DISTANCE_M, SimWorld } from './world.ts';

const track = loadTrack('default');
const RED = [230, 40, 40] as const;

function poses(cars: Array<{ car: string; x: number; y: number; heading: number; speed: number; ageMs?: number }>, hold: string[] = [], ts = 0) {
  return {
    v: 1,
    seq: 0,
    ts,
    track: track.name,
    cars: cars.map((c) => ({ ageMs: 0, ...c })),
    race: { id: 1, phase: 'grid' as const, lights: 0, hold },
  };
}

describe('the shared track', () => {
  it('puts grid slots behind the start line, alternately left and right, apart from each other', () => {
    const slots = [0, 1, 2, 3].map((slot) => gridPose(track, slot));
    for (const [i, pose] of slots.entries()) {
      const here = track.closest(pose.x, pose.y);
      expect(track.progressDelta(0, here.progress)).toBeLessThan(0);
      expect(Math.abs(here.cte)).toBeCloseTo(track.width / 4, 1);
      expect(Math.sign(here.cte)).toBe(i % 2 === 0 ? -1 : 1);
      for (const other of slots.slice(i + 1)) expect(Math.hypot(other.x - pose.x, other.y - pose.y)).toBeGreaterThan(2 * CONTACT_DISTANCE_M);
    }
  });

  it('resets a car that left the track to the centre line at the nearest point, stopped, facing the racing direction', () => {
    const pulses = new DirectPulses();
    const world = new SimWorld({ track, pulses });
    pulses.drive({ angle: 1, throttle: 0.6 });
    for (let i = 0; i < 100 && !world.telemetry().offTrack; i++) world.step(0.05);
    world.step(0.5);
    const off = world.telemetry();
    expect(off.offTrack).toBe(true);
    const expected = nearestTrackPose(track, world.pose);
    world.placeOnTrack();
    const back = world.telemetry();
    expect(Math.abs(back.cte)).toBeLessThan(0.01);
    expect(back.speed).toBe(0);
    expect(back.offTrack).toBe(false);
    expect(back.resets).toBe(1);
    expect(world.pose.heading).toBeCloseTo(expected.heading, 6);
    expect(Math.hypot(world.pose.x - expected.x, world.pose.y - expected.y)).toBeLessThan(1e-9);
  });

  it('counts a touch between two cars once and slows the car', () => {
    const pulses = new DirectPulses();
    const world = new SimWorld({ track, pulses });
    pulses.drive({ angle: 0, throttle: 0.5 });
    world.step(1);
    const before = world.telemetry().speed;
    const ahead = { car: '2', x: world.pose.x + Math.cos(world.pose.heading) * 0.2, y: world.pose.y + Math.sin(world.pose.heading) * 0.2, heading: world.pose.heading, speed: 0 };
    world.setOthers([{ ...ahead, atS: world.time }]);
    world.step(0.01);
    const hit = world.telemetry();
    expect(hit.contacts).toBe(1);
    expect(hit.speed).toBeLessThan(before * 0.5);
    world.step(0.01);
    expect(world.telemetry().contacts).toBe(1);
  });

  it('gives the other cars extrapolated to now, and leaves this car and stale ones out', () => {
    let now = 1000;
    const shared = new SharedTrack('1', () => now);
    shared.update(poses([
      { car: '1', x: 0, y: 0, heading: 0, speed: 1 },
      { car: '2', x: 1, y: 0, heading: 0, speed: 2, ageMs: 50 },
      { car: '3', x: 5, y: 5, heading: 0, speed: 0, ageMs: 5000 },
    ], ['1']));
    now += 50;
    const others = shared.others();
    expect(others.map((o) => o.car)).toEqual(['2']);
    expect(others[0]!.x).toBeCloseTo(1.2, 6);
    now += 5000;
    expect(shared.others()).toEqual([]);
  });

  it('holds the car while the race says so, and still holds it when the NUC falls silent', () => {
    let now = 1000;
    const shared = new SharedTrack('1', () => now);
    expect(shared.held()).toBe(false);
    shared.update(poses([], ['1', '2'], 1000));
    expect(shared.held()).toBe(true);
    now += 60_000;
    expect(shared.held()).toBe(true);
    shared.update(poses([], ['2'], 61_000));
    expect(shared.held()).toBe(false);
  });

  it('holds a car reset to the grid until poses sent after the reset lift it, whichever arrives first', () => {
    const shared = new SharedTrack('1', () => 0);
    // the reset overtakes the poses that hold the car: poses sent before it cannot release it
    shared.resetToGrid(5000);
    expect(shared.held()).toBe(true);
    shared.update(poses([], [], 4900));
    expect(shared.held()).toBe(true);
    shared.update(poses([], ['1'], 5100));
    expect(shared.held()).toBe(true);
    // lights out: the race lifts the hold
    shared.update(poses([], [], 9000));
    expect(shared.held()).toBe(false);
  });

  it('draws a car that is ahead into the camera frame in its paint, and nothing of a car behind', () => {
    const renderer = createRenderer({ track, width: 160, height: 120, seed: 1 });
    const pose = track.pointAt(2);
    const count = (frame: Buffer) => {
      let n = 0;
      for (let i = 0; i < frame.length; i += 3) if (frame[i] === RED[0] && frame[i + 1] === RED[1] && frame[i + 2] === RED[2]) n++;
      return n;
    };
    const ahead = track.pointAt(3);
    const behind = track.pointAt(1);
    expect(count(renderer.render(pose))).toBe(0);
    expect(count(renderer.render(pose, [{ ...ahead, colour: RED }]))).toBeGreaterThan(20);
    expect(count(renderer.render(pose, [{ ...behind, colour: RED }]))).toBe(0);
  });
});
