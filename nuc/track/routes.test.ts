/** The race-day routes as the timekeeper page and scripts use them: the real server through app.inject. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { busMessage, FakeFeed, serverBasics } from '../../test/support/server-feed.ts';
import { buildNucServer, type NucServer } from '../server/app.ts';
import { TrackGeometry } from './geometry.ts';
import { RaceControl } from './race-control.ts';
import { RaceStore } from './race-store.ts';

const TOKEN = 'race-day-routes-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const who = { by: 'Tess', reason: 'seen on the camera' };

let feed: FakeFeed;
let nuc: NucServer;
let store: RaceStore;
let dir: string;
let now: number;

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = auth) =>
  nuc.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
const cross = (car?: string) => feed.emit(busMessage<'crossing'>('nuc/timing/crossing', { gate: 'line', atMs: now, source: 'gpio', ...(car ? { car } : {}) }));

beforeEach(async () => {
  now = 1_700_000_000_000;
  feed = new FakeFeed();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'race-routes-'));
  store = RaceStore.open(path.join(dir, 'races.sqlite'));
  const track = new RaceControl({
    geometry: TrackGeometry.load('default'),
    store,
    sinks: { reset: () => {}, poses: () => {} },
    posesHz: 20,
    lightMs: 100,
    finishGraceMs: 10_000,
    minLapMs: 1_000,
    now: () => now,
  });
  nuc = await buildNucServer({ ...serverBasics(TOKEN, feed), track });
});

afterEach(async () => {
  await nuc.app.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('racer registration', () => {
  it('registers with the token, refuses what is malformed naming the field, and lists the racers', async () => {
    expect((await call('PUT', '/api/racers/1', { name: 'Ada' }, {})).statusCode).toBe(401);
    const bad = await call('PUT', '/api/racers/1', { name: 'Ada', colour: 'red' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/colour/);
    expect((await call('PUT', '/api/racers/1', { name: 'Ada\u0007' })).statusCode).toBe(400);
    expect((await call('PUT', '/api/racers/1', { name: 'Ada', extra: 1 })).statusCode).toBe(400);
    expect((await call('PUT', '/api/racers/..%2F1', { name: 'Ada' })).statusCode).toBe(400);
    expect((await call('PUT', '/api/racers/1', { name: 'Ada', colour: '#E63946' })).json()).toEqual({ car: '1', name: 'Ada', colour: '#e63946' });
    expect((await call('PUT', '/api/racers/2', { name: 'Bo' })).statusCode).toBe(200);
    expect((await call('GET', '/api/racers', undefined, {})).json().racers.map((r: { name: string }) => r.name)).toEqual(['Ada', 'Bo']);
    expect((await call('DELETE', '/api/racers/9')).statusCode).toBe(404);
  });
});

describe('a race of real cars on the API', () => {
  it('runs on crossings, takes corrections with who and why, refuses an unknown car and a lap in the future, and exports every lap as CSV', async () => {
    await call('PUT', '/api/racers/1', { name: '=HYPERLINK("http://x")', colour: '#e63946' });
    await call('PUT', '/api/racers/2', { name: 'Bo, "the fast"' });
    expect((await call('POST', '/api/race', { cars: ['1', '7'], laps: 2 })).statusCode).toBe(404);
    const made = await call('POST', '/api/race', { cars: ['1', '2'], laps: 2 });
    expect(made.statusCode).toBe(201);
    // real cars: the marshal put them on the grid, nothing to wait for
    expect(made.json()).toMatchObject({ phase: 'grid', waitingFor: [] });
    const id = made.json().id as number;
    expect((await call('POST', '/api/race/start')).statusCode).toBe(200);
    now += 600; // five lights and lights out
    expect((await call('GET', '/api/race')).json().race.phase).toBe('racing');

    now += 5_000;
    cross('1');
    now += 500;
    cross(); // the gate alone: two cars racing, so unassigned
    let race = (await call('GET', '/api/race')).json().race;
    expect(race.standings.map((s: { car: string; laps: number }) => [s.car, s.laps])).toEqual([
      ['1', 1],
      ['2', 0],
    ]);
    const unassigned = race.crossings[0];
    expect(unassigned).toMatchObject({ car: null, source: 'gpio' });

    const unknown = await call('POST', '/api/race/laps', { car: '7', raceS: 1, ...who });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/car 7 is not in this session/);
    const future = await call('POST', '/api/race/laps', { car: '2', raceS: 60, ...who });
    expect(future.statusCode).toBe(422);
    expect(future.json().message).toMatch(/in the future/);
    expect((await call('POST', '/api/race/laps', { car: '2', raceS: 1 })).statusCode).toBe(400); // no who, no reason
    expect((await call('POST', '/api/race/crossings/99/strike', who)).statusCode).toBe(404);
    expect((await call('POST', '/api/race/penalties', { car: '2', kind: 'wheelie', ...who })).statusCode).toBe(400);
    expect((await call('GET', '/api/race')).json().refused).toMatchObject({ correction_unknown_car: 1, correction_future_lap: 1, correction_unknown_crossing: 1 });

    expect((await call('POST', `/api/race/crossings/${unassigned.id}/assign`, { car: '2', ...who })).statusCode).toBe(200);
    now += 5_000;
    cross('1'); // the flag
    now += 500;
    cross(); // only car 2 still racing: its
    expect((await call('POST', '/api/race/penalties', { car: '2', kind: 'contact', ...who })).statusCode).toBe(201);
    race = (await call('GET', '/api/race')).json().race;
    expect(race.phase).toBe('finished');
    expect(race.crossings[0]).toMatchObject({ car: '2', assigned: 'only-car' });
    expect(race.standings.map((s: { name: string; totalS: number; penaltyS: number }) => [s.name, s.totalS, s.penaltyS])).toEqual([
      ['=HYPERLINK("http://x")', 10.5, 0],
      ['Bo, "the fast"', 16, 5],
    ]);

    const csv = await call('GET', `/api/races/${id}/results.csv`, undefined, {});
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('session,label,position,car,name,status,laps,total_s,gap_s,best_lap_s,penalty_s,jump_start,lap,lap_s,lap_penalty_s,at_race_s');
    // a name a spreadsheet would run as a formula is quoted as text
    expect(lines).toHaveLength(5);
    expect(lines[1]).toBe(`${id},race ${id},1,1,"'=HYPERLINK(""http://x"")",finished,2,10.5,0,5,0,false,1,5,0,5`);
    expect(lines[4]).toBe(`${id},race ${id},2,2,"Bo, ""the fast""",finished,2,16,5.5,5.5,5,false,2,5.5,0,11`);
    const corrections = (await call('GET', `/api/races/${id}/corrections.csv`, undefined, {})).body.trim().split('\n');
    expect(corrections.slice(1).map((l) => l.split(',').slice(2, 4).join(','))).toEqual(['assign,2', 'penalty,2']);
    expect((await call('GET', '/api/races/999/results.csv', undefined, {})).statusCode).toBe(404);
    expect((await call('GET', '/api/races/abc', undefined, {})).statusCode).toBe(400);
  });
});

describe('competitions on the API', () => {
  it('makes a time trial and puts its runs on the grid, refusing a malformed one', async () => {
    await call('PUT', '/api/racers/1', { name: 'Ada' });
    expect((await call('POST', '/api/competitions', { kind: 'round-robin', name: 'x', cars: ['1'] })).statusCode).toBe(400);
    expect((await call('POST', '/api/competitions', { kind: 'time-trial', name: 'Q', cars: ['1'], minutes: 1, runsPerRacer: 1, rank: { by: 'best-lap' } }, {})).statusCode).toBe(401);
    const made = await call('POST', '/api/competitions', { kind: 'time-trial', name: 'Q', cars: ['1'], minutes: 1, runsPerRacer: 1, rank: { by: 'consecutive', laps: 3 } });
    expect(made.statusCode).toBe(201);
    const id = made.json().id as number;
    expect(made.json().next).toEqual({ label: 'Q · run 1 of 1', cars: ['1'] });
    const run = await call('POST', `/api/competitions/${id}/next`, {});
    expect(run.statusCode).toBe(201);
    expect(run.json()).toMatchObject({ kind: 'trial', label: 'Q · run 1 of 1', competition: id });
    expect((await call('POST', `/api/competitions/${id}/next`, {})).statusCode).toBe(409); // a session is on
    expect((await call('GET', `/api/competitions/${id}/results.csv`, undefined, {})).body.split('\n')[0]).toBe(
      'competition,position,car,name,runs,laps,best_lap_s,best_consecutive_s,result_s',
    );
  });
});
