import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FieldsOf, SimState } from '../../protocol/index.ts';
import { busMessage, telemetry } from '../../test/support/server-feed.ts';
import { TrackGeometry } from './geometry.ts';
import { RaceControl, RaceControlError } from './race-control.ts';
import { RaceStore } from './race-store.ts';

const geometry = TrackGeometry.load('default');
const L = geometry.length;

/** A car's simulator state at `distance` metres raced from the line (negative: on the grid). */
function simAt(distance: number, extra: Partial<SimState> = {}): SimState {
  const lap = Math.max(0, Math.floor(distance / L));
  const progress = ((distance % L) + L) % L;
  return { track: 'default', x: 0, y: 0, heading: 0, speed: 0, cte: 0, offTrack: false, offTrackEvents: 0, progress, lap, lapTimeS: 0, ...extra };
}

function harness() {
  let now = 1_000_000;
  const resets: Array<[string, FieldsOf<'reset'>]> = [];
  const poses: Array<FieldsOf<'poses'>> = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'race-'));
  const store = RaceStore.open(path.join(dir, 'races.sqlite'));
  const control = new RaceControl({
    geometry,
    store,
    sinks: { reset: (car, fields) => resets.push([car, fields]), poses: (fields) => poses.push(fields) },
    posesHz: 20,
    lightMs: 100,
    finishGraceMs: 5000,
    now: () => now,
  });
  const send = (car: string, sim: SimState) => control.ingest(busMessage<'telemetry'>(`car/${car}/telemetry`, telemetry({ sim })));
  return {
    control,
    store,
    resets,
    poses,
    send,
    advance: (ms: number) => {
      now += ms;
      control.tick();
    },
    dispose: () => {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('race control', () => {
  it('takes two cars from the grid through the lights to the finish, with standings, gaps and a saved result', () => {
    const h = harness();
    cleanup = h.dispose;
    h.send('1', simAt(3, { resets: 0 }));
    h.send('2', simAt(5, { resets: 2 }));
    h.send('9', simAt(1, { track: 'twisty' }));
    expect(() => h.control.createRace({ cars: ['1', '9'], laps: 2 })).toThrow(RaceControlError);

    const grid = h.control.createRace({ cars: ['1', '2'], laps: 2 });
    expect(grid.phase).toBe('grid');
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'grid', hold: ['1', '2'] });
    expect(h.resets).toEqual([['1', { to: 'grid', slot: 0 }], ['2', { to: 'grid', slot: 1 }]]);
    // Car 2 has not reported its reset yet: no start.
    h.send('1', simAt(-0.5, { resets: 1 }));
    expect(() => h.control.startRace()).toThrow(/car 2/);
    h.send('2', simAt(-1.2, { resets: 3, speed: 0.3 }));
    expect(h.control.current()!.waitingFor).toEqual(['2']);
    h.send('2', simAt(-1.2, { resets: 3 }));
    expect(h.control.current()!.waitingFor).toEqual([]);
    h.advance(50);
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'grid', hold: ['1', '2'] });

    h.control.startRace();
    h.advance(250);
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'lights', lights: 3, hold: ['1', '2'] });
    // Car 2 creeps forward under the lights: a jumped start.
    h.send('2', simAt(-0.8, { speed: 0.5, resets: 3 }));
    h.advance(400);
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'racing', lights: 0, hold: [] });

    // 10 s later car 1 is 20 m in, car 2 18 m: car 2 is where car 1 was about 1 s ago.
    for (let t = 0; t < 100; t++) {
      h.send('1', simAt(-0.5 + (t + 1) * 0.205));
      h.send('2', simAt(-1.2 + (t + 1) * 0.19));
      h.advance(100);
    }
    let standings = h.control.current()!.standings;
    expect(standings.map((s) => [s.position, s.car, s.laps])).toEqual([[1, '1', 0], [2, '2', 0]]);
    expect(standings[1]!.gapS).toBeGreaterThan(0.5);
    expect(standings[1]!.gapS).toBeLessThan(2);
    expect(standings[1]!.falseStart).toBe(true);
    expect(standings[0]!.falseStart).toBe(false);

    // Both complete lap 1, car 1 takes the flag; car 2 finishes as it completes its next lap.
    h.send('1', simAt(L + 0.1, { lapTimeS: 0.1 }));
    h.send('2', simAt(L + 0.05, { lapTimeS: 0.05 }));
    h.advance(100);
    expect(h.control.current()!.standings.map((s) => [s.car, s.laps])).toEqual([['1', 1], ['2', 1]]);
    h.send('1', simAt(2 * L + 0.1, { lapTimeS: 0.1 }));
    h.advance(100);
    expect(h.poses.at(-1)!.race!.hold).toEqual(['1']);
    h.send('2', simAt(2 * L + 0.05, { lapTimeS: 0.05 }));
    // Finished the moment the last car crosses the line, and in the record by then (no tick needed).
    const done = h.control.current()!;
    expect(done.phase).toBe('finished');
    standings = done.standings;
    expect(standings.map((s) => [s.position, s.car, s.status, s.laps])).toEqual([[1, '1', 'finished', 2], [2, '2', 'finished', 2]]);
    expect(standings[1]!.gapS).toBeGreaterThan(0);
    expect(standings[0]!.bestLapS).toBeGreaterThan(0);
    expect(standings[0]!.lastLapS).toBeGreaterThan(0);

    const [saved] = h.control.results(10);
    expect(saved).toMatchObject({ id: done.id, laps: 2, track: 'default' });
    expect(saved!.standings.map((s) => [s.car, s.position, s.falseStart])).toEqual([['1', 1, false], ['2', 2, true]]);

    h.control.closeRace();
    expect(h.control.current()).toBeUndefined();
    h.advance(50);
    expect(h.poses.at(-1)!.race).toBeUndefined();
  });

  it('does not classify a car that has not finished when the grace time runs out', () => {
    const h = harness();
    cleanup = h.dispose;
    h.send('1', simAt(0, { resets: 0 }));
    h.send('2', simAt(0, { resets: 0 }));
    h.control.createRace({ cars: ['1', '2'], laps: 1 });
    h.send('1', simAt(-0.5, { resets: 1 }));
    h.send('2', simAt(-1.2, { resets: 1 }));
    h.control.startRace();
    h.advance(700);
    h.send('1', simAt(L + 0.1, { lapTimeS: 0.1 }));
    h.advance(100);
    expect(() => h.control.createRace({ cars: ['1'], laps: 1 })).toThrow(/still racing/);
    h.advance(5100);
    const done = h.control.current()!;
    expect(done.phase).toBe('finished');
    expect(done.standings.map((s) => [s.car, s.status])).toEqual([['1', 'finished'], ['2', 'not-classified']]);
  });

  it('publishes every car\'s pose, with headings folded into one turn, and resets only simulated cars it knows', () => {
    const h = harness();
    cleanup = h.dispose;
    h.send('1', simAt(2, { x: 1, y: 2, heading: 4 * Math.PI + 0.5, speed: 1.5 }));
    h.advance(50);
    expect(h.poses.at(-1)).toMatchObject({ track: 'default', cars: [{ car: '1', x: 1, y: 2, speed: 1.5, ageMs: 50 }] });
    expect(h.poses.at(-1)!.cars[0]!.heading).toBeCloseTo(0.5, 9);
    h.control.resetCar('1');
    expect(h.resets.at(-1)).toEqual(['1', { to: 'track' }]);
    expect(() => h.control.resetCar('7')).toThrow(/no simulator/);
    h.advance(5000);
    expect(h.poses.at(-1)!.cars).toEqual([]);
  });
});
