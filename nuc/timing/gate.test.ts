import { describe, expect, it } from 'vitest';
import type { SimState } from '../../protocol/index.ts';
import { validateConfig } from '../../runtime/index.ts';
import { TimingGate, type Crossing } from './gate.ts';

const LINE = { x: 0, y: 0, heading: 0, halfWidth: 0.5 };

function gate(timing: Record<string, unknown> = {}): { gate: TimingGate; out: Crossing[] } {
  const config = validateConfig({ nuc: { timing } }, 'test').nuc.timing;
  const out: Crossing[] = [];
  return { gate: new TimingGate(config, LINE, (crossing) => out.push(crossing)), out };
}

const sim = (lap: number, lapTimeS: number): SimState => ({
  track: 'default', x: 0, y: 0, heading: 0, speed: 1, cte: 0, offTrack: false, offTrackEvents: 0, progress: 0, lap, lapTimeS,
});

describe('TimingGate', () => {
  it('turns a simulated car’s lap into a sim crossing with the car', () => {
    const { gate: g, out } = gate({ gate: 'main' });
    g.telemetry('3', sim(0, 4.9), 1000);
    g.telemetry('3', sim(1, 0.05), 1100);
    expect(out).toEqual([{ gate: 'main', atMs: 1050, source: 'sim', car: '3' }]);
    expect(g.counts.sim_crossings).toBe(1);
  });

  it('leaves the simulator alone when nuc.timing.sim is off', () => {
    const { gate: g, out } = gate({ sim: false });
    g.telemetry('3', sim(0, 4.9), 1000);
    g.telemetry('3', sim(1, 0.05), 1100);
    expect(out).toEqual([]);
  });

  it('bounds a car whose lap count races up (a forged or broken simulator) and counts the refusals', () => {
    const { gate: g, out } = gate({ gpio: { maxPerMinute: 3 } });
    for (let lap = 0; lap <= 10; lap++) g.telemetry('9', sim(lap, 0), 1000 + lap * 10);
    expect(out).toHaveLength(3);
    expect(g.counts.sim_storm_refused).toBe(7);
  });

  it('names the car at the line for a sensor crossing, from the shared track’s poses', () => {
    const { gate: g, out } = gate({ gpio: { debounceMs: 50 } });
    g.trackPoses([{ car: '1', x: -0.2, y: 0, heading: 0, speed: 2, ageMs: 40 }, { car: '2', x: 6, y: 0, heading: 0, speed: 2, ageMs: 40 }], 10_000);
    g.edge({ active: true, atMs: 10_050 });
    g.edge({ active: false, atMs: 10_120 });
    expect(out).toEqual([{ gate: 'line', atMs: 10_050, source: 'gpio', car: '1' }]);
    expect(g.counts.gpio_assigned).toBe(1);
  });

  it('leaves a sensor crossing unassigned when asked to, or when no pose says who it was', () => {
    const none = gate({ assign: 'none' });
    none.gate.trackPoses([{ car: '1', x: 0, y: 0, heading: 0, speed: 0, ageMs: 0 }], 10_000);
    none.gate.edge({ active: true, atMs: 10_000 });
    expect(none.out).toEqual([{ gate: 'line', atMs: 10_000, source: 'gpio' }]);
    const blind = gate();
    blind.gate.edge({ active: true, atMs: 10_000 });
    expect(blind.out[0]!.car).toBeUndefined();
    expect(blind.gate.counts.gpio_unassigned_no_poses).toBe(1);
  });

  it('counts bounces, disorder and a storm of sensor crossings', () => {
    const { gate: g, out } = gate({ gpio: { debounceMs: 10, maxPerMinute: 2 } });
    for (let i = 0; i < 5; i++) {
      g.edge({ active: true, atMs: 1000 + i * 100 });
      g.edge({ active: false, atMs: 1000 + i * 100 + 1 });
      g.edge({ active: true, atMs: 1000 + i * 100 + 2 });
      g.edge({ active: false, atMs: 1000 + i * 100 + 3 });
    }
    g.edge({ active: true, atMs: 10 });
    expect(out).toHaveLength(2);
    expect(g.counts).toMatchObject({ gpio_edges: 21, gpio_crossings: 2, gpio_storm_refused: 3, gpio_bounces: 5, gpio_disorder: 1 });
  });
});
