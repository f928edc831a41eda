import { describe, expect, it } from 'vitest';
import { DirectPulses } from './direct-pulses.ts';
import { Track } from './track.ts';
import { SimWorld } from './world.ts';

/** A 2 m-radius circle (anticlockwise), sampled densely: about 12.6 m a lap. */
const circle = new Track({
  name: 'circle',
  width: 1,
  points: Array.from({ length: 48 }, (_, i) => {
    const a = (i / 48) * 2 * Math.PI - Math.PI / 2;
    return [2 * Math.cos(a), 2 + 2 * Math.sin(a)] as [number, number];
  }),
});

/** Steering that holds the car on the circle: a kinematic bicycle needs tan(δ)·cos(β) = L/R. */
function worldOnCircle(): { world: SimWorld; pulses: DirectPulses } {
  const pulses = new DirectPulses();
  const world = new SimWorld({ track: circle, pulses });
  return { world, pulses };
}

const HOLD_LEFT = -0.31;

describe('SimWorld', () => {
  it('starts on the start line, on the road, no laps', () => {
    const { world } = worldOnCircle();
    const t = world.telemetry();
    expect(t.lap).toBe(0);
    expect(t.offTrack).toBe(false);
    expect(t.progress).toBeCloseTo(0, 3);
    expect(t.lastLapS).toBeUndefined();
  });

  it('times laps driven forwards round the loop', () => {
    const { world, pulses } = worldOnCircle();
    pulses.drive({ angle: HOLD_LEFT, throttle: 0.3 });
    while (world.telemetry().lap < 2 && world.time < 60) world.step(0.05);
    const t = world.telemetry();
    expect(t.lap).toBe(2);
    expect(t.laps).toHaveLength(2);
    expect(t.offTrackEvents).toBe(0);
    expect(t.cleanLaps).toBe(2);
    // Second lap at steady speed: length / speed.
    expect(t.laps[1]).toBeCloseTo(circle.length / t.speed, 0);
    expect(t.lastLapS).toBe(t.laps[1]);
    expect(t.bestLapS).toBe(Math.min(...t.laps));
    expect(t.lapTimeS).toBeLessThan(0.1);
  });

  it('does not count a lap for reversing over the line and driving over it again', () => {
    const { world, pulses } = worldOnCircle();
    pulses.drive({ angle: HOLD_LEFT, throttle: -0.3 });
    for (let i = 0; i < 40; i++) world.step(0.05);
    expect(world.telemetry().progress).toBeGreaterThan(circle.length - 2);
    pulses.drive({ angle: HOLD_LEFT, throttle: 0.3 });
    for (let i = 0; i < 60; i++) world.step(0.05);
    const t = world.telemetry();
    expect(t.progress).toBeGreaterThan(0.5);
    expect(t.progress).toBeLessThan(5);
    expect(t.lap).toBe(0);
  });

  it('detects leaving the road and counts each excursion once', () => {
    const { world, pulses } = worldOnCircle();
    pulses.drive({ angle: 0, throttle: 0.4 });
    while (!world.telemetry().offTrack && world.time < 10) world.step(0.05);
    const out = world.telemetry();
    expect(out.offTrack).toBe(true);
    expect(Math.abs(out.cte)).toBeGreaterThan(0.5);
    // Going straight from the bottom of an anticlockwise circle leaves it on the outside, to the right.
    expect(out.cte).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) world.step(0.05);
    expect(world.telemetry().offTrackEvents).toBe(1);
    world.reset();
    expect(world.telemetry().offTrackEvents).toBe(0);
    expect(world.telemetry().offTrack).toBe(false);
  });

  it('earns no progress for cutting across the infield', () => {
    const { world, pulses } = worldOnCircle();
    // Start across the circle, facing back towards the start line through the middle.
    world.reset({ x: 0, y: 4, heading: -Math.PI / 2 });
    pulses.drive({ angle: 0, throttle: 0.5 });
    while (world.telemetry().y > 0.1 && world.time < 10) world.step(0.02);
    pulses.drive({ angle: HOLD_LEFT, throttle: 0.3 });
    for (let i = 0; i < 40; i++) world.step(0.05);
    expect(world.telemetry().lap).toBe(0);
  });

  it('ignores non-positive or non-finite steps', () => {
    const { world, pulses } = worldOnCircle();
    pulses.drive({ angle: 0, throttle: 1 });
    world.step(0);
    world.step(-1);
    world.step(NaN);
    expect(world.time).toBe(0);
  });
});
