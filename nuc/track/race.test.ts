import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FieldsOf, SimState } from '../../protocol/index.ts';
import { busMessage, telemetry } from '../../test/support/server-feed.ts';
import { TrackGeometry } from './geometry.ts';
import { RaceControl, RaceControlError } from './race-control.ts';
import { RaceStore } from './race-store.ts';
import { MAX_CROSSINGS } from './race.ts';

const geometry = TrackGeometry.load('default');
const L = geometry.length;
const TK = { by: 'Ada (timekeeper)', reason: 'checked on the video' };

/** A car's simulator state at `distance` metres raced from the line (negative: on the grid). */
function simAt(distance: number, extra: Partial<SimState> = {}): SimState {
  const lap = Math.max(0, Math.floor(distance / L));
  const progress = ((distance % L) + L) % L;
  return { track: 'default', x: 0, y: 0, heading: 0, speed: 0, cte: 0, offTrack: false, offTrackEvents: 0, progress, lap, lapTimeS: 0, ...extra };
}

function harness(options: { knownCar?: (car: string) => boolean } = {}) {
  let now = 1_000_000;
  const resets: Array<[string, FieldsOf<'reset'>]> = [];
  const poses: Array<FieldsOf<'poses'>> = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'race-'));
  const file = path.join(dir, 'races.sqlite');
  let store = RaceStore.open(file);
  const make = () =>
    new RaceControl({
      geometry,
      store,
      sinks: { reset: (car, fields) => resets.push([car, fields]), poses: (fields) => poses.push(fields) },
      posesHz: 20,
      lightMs: 100,
      finishGraceMs: 5000,
      minLapMs: 2000,
      penalties: { reset: 2, 'off-track': 1, contact: 5, 'jump-start': 3 },
      ...(options.knownCar ? { knownCar: options.knownCar } : {}),
      now: () => now,
    });
  const h = {
    control: make(),
    store,
    resets,
    poses,
    get now() {
      return now;
    },
    send: (car: string, sim: SimState) => h.control.ingest(busMessage<'telemetry'>(`car/${car}/telemetry`, telemetry({ sim }))),
    /** a crossing of the line `agoMs` before now, from the gate (with the car when the source knows it) */
    cross: (car?: string, agoMs = 0) =>
      h.control.ingest(busMessage<'crossing'>('nuc/timing/crossing', { gate: 'line', atMs: now - agoMs, source: car ? 'sim' : 'gpio', ...(car ? { car } : {}) })),
    advance: (ms: number) => {
      now += ms;
      h.control.tick();
    },
    /** the NUC restarted: a new control on the same database */
    restart: () => {
      store.close();
      store = RaceStore.open(file);
      h.store = store;
      h.control = make();
    },
    dispose: () => {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** Two simulated cars on the grid, through the lights; returns at lights out. */
function gridAndGo(h: ReturnType<typeof harness>, laps: number): void {
  h.send('1', simAt(3, { resets: 0 }));
  h.send('2', simAt(5, { resets: 0 }));
  h.control.createRace({ cars: ['1', '2'], laps });
  h.send('1', simAt(-0.5, { resets: 1 }));
  h.send('2', simAt(-1.2, { resets: 1 }));
  h.control.startRace();
  h.advance(600);
  expect(h.control.current()!.phase).toBe('racing');
}

describe('race control on crossings', () => {
  it('takes two cars from the grid through the lights to the finish on the gate\'s crossings only, with a false crossing struck and a missed one added', () => {
    const h = harness();
    cleanup = h.dispose;
    h.send('1', simAt(3, { resets: 0 }));
    h.send('2', simAt(5, { resets: 2 }));
    h.send('9', simAt(1, { track: 'twisty' }));
    expect(() => h.control.createRace({ cars: ['1', '9'], laps: 2 })).toThrow(/unknown car 9/);
    h.control.registerRacer({ car: '1', name: 'Ada', colour: '#ff0000' });

    const grid = h.control.createRace({ cars: ['1', '2'], laps: 2 });
    expect(grid.phase).toBe('grid');
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'grid', hold: ['1', '2'] });
    expect(h.resets).toEqual([['1', { to: 'grid', slot: 0 }], ['2', { to: 'grid', slot: 1 }]]);
    h.send('1', simAt(-0.5, { resets: 1 }));
    expect(() => h.control.startRace()).toThrow(/car 2/);
    h.send('2', simAt(-1.2, { resets: 3 }));
    expect(h.control.current()!.waitingFor).toEqual([]);
    h.control.startRace();
    h.advance(250);
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'lights', lights: 3, hold: ['1', '2'] });
    // Car 2 creeps forward under the lights: a jumped start, and its penalty.
    h.send('2', simAt(-0.8, { speed: 0.5, resets: 3 }));
    h.advance(400);
    expect(h.poses.at(-1)!.race).toMatchObject({ phase: 'racing', lights: 0, hold: [] });
    const green = h.now - 50;

    // The simulator's lap count means nothing now: car 1 "completes" a lap in telemetry, no lap counts.
    h.send('1', simAt(L + 0.1, { lap: 1, lapTimeS: 0.1 }));
    expect(h.control.current()!.standings.every((s) => s.laps === 0)).toBe(true);
    // The run-up from the grid over the line: too soon to be a lap.
    h.advance(300);
    h.cross('1');
    h.cross('2');
    expect(h.control.current()!.crossings.filter((c) => c.tooSoon).map((c) => c.car)).toEqual(['2', '1']);

    h.advance(10_000 + green - h.now); // 10 s: car 1 completes lap 1
    h.cross('1');
    h.advance(500);
    h.cross('2'); // car 2 completes lap 1, 0.5 s behind
    let view = h.control.current()!;
    expect(view.standings.map((s) => [s.position, s.car, s.name, s.laps, s.gapS])).toEqual([
      [1, '1', 'Ada', 1, 0],
      [2, '2', 'Car 2', 1, 3.5], // 0.5 s on the road + the 3 s jump-start penalty
    ]);
    expect(view.standings[1]!.falseStart).toBe(true);
    expect(view.lastLap).toEqual({ car: '2', n: 1, lapS: 10.5 });

    // A false crossing: a marshal's leg broke the beam 1 s later, given to car 1 by the source. Struck.
    h.advance(1_000);
    h.cross('1');
    expect(h.control.current()!.standings.find((s) => s.car === '1')!.laps).toBe(1); // too soon anyway
    h.advance(2_000);
    h.cross('1'); // 3.5 s after its last: a plausible lap on the clock, but false
    view = h.control.current()!;
    expect(view.standings.find((s) => s.car === '1')!.laps).toBe(2);
    expect(view.phase).toBe('racing');
    const falseOne = view.crossings.find((c) => c.car === '1' && !c.tooSoon)!;
    h.control.strike(falseOne.id, { by: 'Ada (timekeeper)', reason: 'a marshal broke the beam' });
    view = h.control.current()!;
    expect(view.standings.find((s) => s.car === '1')!.laps).toBe(1);

    // Car 1 takes the flag at 20 s; the gate missed car 2's crossing at 20.6 s: added by hand, then it finishes.
    h.advance(20_000 + green - h.now);
    h.cross('1');
    h.advance(2_000);
    expect(() => h.control.addLap('2', 30, TK)).toThrow(/in the future/);
    h.control.addLap('2', 20.6, TK);
    view = h.control.current()!;
    expect(view.phase).toBe('finished');
    expect(view.standings.map((s) => [s.position, s.car, s.status, s.laps, s.totalS, s.penaltyS])).toEqual([
      [1, '1', 'finished', 2, 20, 0],
      [2, '2', 'finished', 2, 23.6, 3],
    ]);
    expect(view.corrections.map((c) => [c.kind, c.car, c.by])).toEqual([
      ['strike', '1', 'Ada (timekeeper)'],
      ['add-lap', '2', 'Ada (timekeeper)'],
    ]);
    h.advance(50);
    expect(h.poses.at(-1)!.race!.hold.sort()).toEqual(['1', '2']);

    // In the record with every lap and the corrections, under the racers' names
    const saved = h.control.result(view.id);
    expect(saved.standings.map((s) => [s.car, s.name, s.colour, s.position, s.falseStart])).toEqual([
      ['1', 'Ada', '#ff0000', 1, false],
      ['2', 'Car 2', expect.stringMatching(/^#[0-9a-f]{6}$/), 2, true],
    ]);
    expect(saved.cars.find((c) => c.car === '2')!.laps.map((l) => [l.n, l.lapS, l.atS])).toEqual([
      [1, 10.5, 10.5],
      [2, 10.1, 20.6],
    ]);
    expect(saved.corrections.map((c) => [c.kind, c.reason])).toEqual([
      ['strike', 'a marshal broke the beam'],
      ['add-lap', 'checked on the video'],
    ]);

    h.control.closeRace();
    expect(h.control.current()).toBeUndefined();
  });

  it('does not classify a car that has not finished when the grace time runs out', () => {
    const h = harness();
    cleanup = h.dispose;
    gridAndGo(h, 1);
    h.advance(10_000);
    h.cross('1');
    h.advance(100);
    expect(() => h.control.createRace({ cars: ['1'], laps: 1 })).toThrow(/still racing/);
    h.advance(5100);
    const done = h.control.current()!;
    expect(done.phase).toBe('finished');
    expect(done.standings.map((s) => [s.car, s.status])).toEqual([['1', 'finished'], ['2', 'not-classified']]);
  });

  it('leaves a crossing without a car unassigned while several race, until the timekeeper assigns it; gives it to the only car left', () => {
    const h = harness();
    cleanup = h.dispose;
    gridAndGo(h, 1);
    h.advance(10_000);
    h.cross();
    let view = h.control.current()!;
    expect(view.crossings[0]).toMatchObject({ car: null, assigned: null });
    expect(view.standings.every((s) => s.laps === 0)).toBe(true);
    h.control.assign(view.crossings[0]!.id, '2', TK);
    view = h.control.current()!;
    expect(view.standings[0]).toMatchObject({ car: '2', laps: 1, status: 'finished' });
    // only car 1 is still racing: a crossing without a car is its
    h.advance(1_000);
    h.cross();
    view = h.control.current()!;
    expect(view.crossings[0]).toMatchObject({ car: '1', assigned: 'only-car' });
    expect(view.phase).toBe('finished');
  });

  it('stops the clock under a red flag: every car held, crossings refused and counted, the paused time out of the lap', () => {
    const h = harness();
    cleanup = h.dispose;
    gridAndGo(h, 3);
    h.advance(4_000);
    h.control.redFlag({ by: 'Ada', reason: 'car 2 in the barrier' });
    h.advance(50);
    expect(h.poses.at(-1)!.race!.hold).toEqual(['1', '2']);
    h.advance(30_000);
    h.cross('1');
    expect(h.control.refused.crossing_red_flag).toBe(1);
    expect(h.control.current()!.raceMs).toBe(4_000);
    expect(() => h.control.redFlag(TK)).toThrow(/already out/);
    h.control.resume({ by: 'Ada', reason: 'track clear' });
    h.advance(6_000);
    h.cross('1');
    const view = h.control.current()!;
    expect(view.redFlag).toBe(false);
    expect(view.standings[0]).toMatchObject({ car: '1', laps: 1, lastLapS: 10 });
    expect(view.corrections.map((c) => c.kind)).toEqual(['red-flag', 'resume']);
  });

  it('refuses and counts a correction for an unknown car, a lap in the future, an unknown crossing, and crossings from outside the race or in a storm', () => {
    const h = harness();
    cleanup = h.dispose;
    h.cross('1');
    expect(h.control.refused.crossing_no_session).toBe(1);
    gridAndGo(h, 5);
    const refusal = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return error instanceof RaceControlError ? error.status : error;
      }
      return 'accepted';
    };
    expect(refusal(() => h.control.addLap('7', 0.1, TK))).toBe(404);
    expect(refusal(() => h.control.penalty('7', 'contact', TK))).toBe(404);
    expect(refusal(() => h.control.addLap('1', 60, TK))).toBe(422);
    expect(refusal(() => h.control.strike(999, TK))).toBe(404);
    expect(h.control.refused).toMatchObject({ correction_unknown_car: 2, correction_future_lap: 1, correction_unknown_crossing: 1 });
    expect(h.control.current()!.corrections).toEqual([]);

    h.cross('7');
    h.control.ingest(busMessage<'crossing'>('nuc/timing/crossing', { gate: 'line', atMs: h.now + 60_000, source: 'gpio', car: '1' }));
    h.control.ingest(busMessage<'crossing'>('nuc/timing/crossing', { gate: 'line', atMs: h.now - 60_000, source: 'gpio', car: '1' }));
    expect(h.control.refused).toMatchObject({ crossing_not_in_race: 1, crossing_future: 1, crossing_before_start: 1 });
    expect(h.control.current()!.crossings).toEqual([]);

    // a storm: a thousand crossings in one instant; a few dozen are taken, the rest dropped and counted
    const burst = () => busMessage<'crossing'>('nuc/timing/crossing', { gate: 'line', atMs: h.now, source: 'gpio' });
    let message = burst();
    for (let i = 0; i < 1000; i++) h.control.ingest(message);
    const taken = h.control.current()!.crossings.length;
    expect(taken).toBeLessThanOrEqual(40);
    expect(h.control.refused.crossing_storm).toBe(1000 - taken);
    // and however long it lasts, the session keeps at most MAX_CROSSINGS
    for (let s = 0; s < 200; s++) {
      h.advance(1000);
      message = burst();
      for (let i = 0; i < 25; i++) h.control.ingest(message);
    }
    expect(h.control.refused.crossing_log_full).toBeGreaterThan(0);
    expect(h.control.refused.crossing_storm).toBeGreaterThan(1000 - taken);
    expect(MAX_CROSSINGS).toBe(2000);
  });

  it("publishes every car's pose, with headings folded into one turn, and resets only simulated cars it knows", () => {
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

describe('competitions from registration to results', () => {
  /** One time-trial run for `car`: crossings at the given lap times (the gate knows no car), then the session runs out. */
  function trialRun(h: ReturnType<typeof harness>, id: number, car: string, lapsS: number[]): void {
    const view = h.control.nextSession(id, car);
    expect(view).toMatchObject({ kind: 'trial', minutes: 0.5, standings: [{ car }] });
    h.control.startRace();
    h.advance(1_000);
    h.cross(); // the flying start
    for (const s of lapsS) {
      h.advance(s * 1000);
      h.cross();
      h.cross(); // a bounce the gate let through: too soon, no lap
    }
    h.advance(60_000);
    expect(h.control.current()!.phase).toBe('finished');
    h.control.closeRace();
  }

  /** A head-to-head race of `laps` laps won by `winner` by a second a lap (transponder crossings). */
  function match(h: ReturnType<typeof harness>, id: number, winner: (cars: string[]) => string, laps: number): string[] {
    const view = h.control.nextSession(id);
    const cars = view.standings.map((s) => s.car);
    h.control.startRace();
    h.advance(600);
    const first = winner(cars);
    const second = cars.find((c) => c !== first)!;
    for (let lap = 0; lap < laps; lap++) {
      h.advance(10_000);
      h.cross(first);
      h.advance(1_000);
      h.cross(second);
    }
    expect(h.control.current()!.phase).toBe('finished');
    h.control.closeRace();
    return cars;
  }

  it('registers four real cars, runs a best-of-two-runs time trial, seeds a double-elimination bracket from it and runs it to the placings, all kept over a restart', () => {
    const h = harness();
    cleanup = h.dispose;
    const names = { a: 'Ada', b: 'Bo', c: 'Cy', d: 'Di' };
    for (const [car, name] of Object.entries(names)) h.control.registerRacer({ car, name, colour: '#123456' });
    expect(() => h.control.createCompetition({ kind: 'time-trial', name: 'Qualifying', cars: ['a', 'zz'], minutes: 1, runsPerRacer: 2, rank: { by: 'best-lap' } })).toThrow(
      /unknown car zz/,
    );
    const trial = h.control.createCompetition({ kind: 'time-trial', name: 'Qualifying', cars: ['a', 'b', 'c', 'd'], minutes: 0.5, runsPerRacer: 2, rank: { by: 'best-lap' } });
    const laps = { a: [12, 11], b: [9.5, 10], c: [10.5, 10.2], d: [14, 13] } as const;
    for (const car of ['a', 'b', 'c', 'd'] as const) trialRun(h, trial.id, car, [...laps[car]]);
    trialRun(h, trial.id, 'a', [10.9, 10.8]);
    expect(() => h.control.nextSession(trial.id, 'a')).toThrow(/had its 2 runs/);
    let standings = h.control.competition(trial.id).standings;
    expect(standings.kind === 'time-trial' && standings.rows.map((r) => [r.position, r.car, r.resultMs, r.runs])).toEqual([
      [1, 'b', 9_500, 1],
      [2, 'c', 10_200, 1],
      [3, 'a', 10_800, 2],
      [4, 'd', 13_000, 1],
    ]);

    const bracket = h.control.createCompetition({ kind: 'double-elimination', name: 'Finals', cars: [], seedFrom: trial.id, laps: 2 });
    expect(bracket.config.cars).toEqual(['b', 'c', 'a', 'd']);
    // the favourite always wins, but c beats b in the grand final: a decider, which b wins
    const played: string[][] = [];
    let grandFinals = 0;
    for (let next = h.control.competition(bracket.id).next; next; next = h.control.competition(bracket.id).next) {
      const final = next.label.includes('Grand final');
      if (final) grandFinals++;
      played.push(match(h, bracket.id, (cars) => (final && grandFinals === 1 ? 'c' : cars.includes('b') ? 'b' : cars.includes('c') ? 'c' : cars.includes('a') ? 'a' : 'd'), 2));
    }
    expect(played).toEqual([
      ['b', 'd'],
      ['c', 'a'],
      ['b', 'c'],
      ['d', 'a'],
      ['a', 'c'],
      ['b', 'c'],
      ['c', 'b'],
    ]);
    h.restart();
    const done = h.control.competition(bracket.id);
    expect(done.finished).toBe(true);
    standings = done.standings;
    expect(standings.kind === 'bracket' && standings.rows.map((r) => [r.place, r.car])).toEqual([
      [1, 'b'],
      [2, 'c'],
      [3, 'a'],
      [4, 'd'],
    ]);
    expect(done.sessions.map((s) => s.label)).toEqual([
      "Finals · Winners' round 1 · 1",
      "Finals · Winners' round 1 · 2",
      "Finals · Winners' final",
      "Finals · Losers' round 1",
      "Finals · Losers' round 2",
      'Finals · Grand final',
      'Finals · Grand final (decider)',
    ]);
    expect(h.control.racers.of('b').name).toBe('Bo');
    expect(() => h.control.nextSession(bracket.id)).toThrow(/complete/);
  });

  it('runs heats snake-seeded and ranks them by heat place then race time', () => {
    const h = harness({ knownCar: (car) => ['1', '2', '3', '4'].includes(car) });
    cleanup = h.dispose;
    const heats = h.control.createCompetition({ kind: 'heats', name: 'Heats', cars: ['1', '2', '3', '4'], size: 2, laps: 1 });
    expect(heats.next).toEqual({ label: 'Heats · heat 1 of 2', cars: ['1', '4'] });
    match(h, heats.id, () => '4', 1);
    match(h, heats.id, () => '2', 1);
    const standings = h.control.competition(heats.id).standings;
    expect(standings.kind === 'heats' && standings.rows.map((r) => [r.position, r.car, r.heat, r.heatPosition])).toEqual([
      [1, '4', 1, 1],
      [2, '2', 2, 1],
      [3, '1', 1, 2],
      [4, '3', 2, 2],
    ]);
  });
});
