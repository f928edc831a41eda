/**
 * One race, as pure state: the chosen cars on the grid, the start lights, the race, the finish.
 * It is fed each car's telemetry (its simulator's lap and progress) and the clock, and answers the
 * standings (position, laps, gap to the leader, last and best lap), false starts, which cars the
 * race holds, and the result once every car has finished or run out of time.
 *
 *   grid     every car is sent to its grid slot; the race waits until each reports that it stands there
 *   lights   `start()`: five lights come on one by one, every `lightMs`; all out is the start
 *   racing   a car moving before the start jumped it (flagged, still racing); laps are counted from
 *            the start; the first car to complete `laps` wins, each other car finishes when it next
 *            completes a lap, or is not classified once `finishGraceMs` has passed after the winner
 *   finished the result is final
 */
import type { RacePhase, SimState } from '../../protocol/index.ts';
import type { TrackGeometry } from './geometry.ts';

export interface RaceOptions {
  id: number;
  cars: readonly string[];
  laps: number;
  track: TrackGeometry;
  /** time between two start lights (and from the fifth to lights out) */
  lightMs: number;
  /** how long the others have after the winner's finish */
  finishGraceMs: number;
  now: number;
}

export type EntryStatus = 'grid' | 'racing' | 'finished' | 'not-classified';

export interface Standing {
  position: number;
  car: string;
  status: EntryStatus;
  /** laps completed in the race */
  laps: number;
  /** seconds behind the leader: at the same point of the track, or at the finish; 0 for the leader */
  gapS: number | null;
  lastLapS: number | null;
  bestLapS: number | null;
  /** race time at the finish, seconds */
  totalS: number | null;
  falseStart: boolean;
  /** contacts with other cars during the race */
  contacts: number;
}

export interface RaceView {
  id: number;
  phase: RacePhase;
  laps: number;
  track: string;
  lights: number;
  /** ms since the start (null before it) */
  raceMs: number | null;
  /** cars not yet on their grid slot (the lights cannot start until none is) */
  waitingFor: string[];
  standings: Standing[];
}

/** A car slower than this stands still (on its grid slot). */
const AT_REST_SPEED = 0.05;
/** Moving faster than this, or this far from its grid slot, before lights out is a jumped start. */
const FALSE_START_SPEED = 0.2;
const FALSE_START_DISTANCE_M = 0.25;
/** A sample of a car's progress is kept each time it has gone this much further (for the gaps). */
const HISTORY_STEP_M = 0.2;
const MAX_HISTORY = 50_000;

interface Entry {
  car: string;
  status: EntryStatus;
  /** the simulator's reset count when the car was sent to the grid: a larger one means it is on its slot */
  resetsBefore: number | undefined;
  onGrid: boolean;
  /** on the grid, before its first crossing of the start line */
  behindLine: boolean;
  /** the simulator's lap count at lights out */
  baseLap: number;
  gridDistance: number;
  contactsBefore: number;
  laps: number;
  /** line crossings, NUC ms; the start counts as the first */
  crossings: number[];
  distance: number;
  contacts: number;
  falseStart: boolean;
  finishedAt: number | undefined;
  /** (distance, ms) at each new furthest point */
  history: Array<[number, number]>;
  lastSeen: number;
}

export class Race {
  readonly id: number;
  readonly laps: number;
  readonly createdAt: number;
  private phaseNow: RacePhase = 'grid';
  private lightsOnAt: number | undefined;
  private greenAt: number | undefined;
  private winnerAt: number | undefined;
  private finishedAt: number | undefined;
  private readonly entries: Entry[];
  private readonly track: TrackGeometry;
  private readonly lightMs: number;
  private readonly finishGraceMs: number;

  constructor(options: RaceOptions) {
    if (options.cars.length === 0) throw new RangeError('a race needs at least one car');
    if (new Set(options.cars).size !== options.cars.length) throw new RangeError('a car can only start once in a race');
    if (!Number.isInteger(options.laps) || options.laps < 1) throw new RangeError(`laps must be a whole number ≥ 1, got ${options.laps}`);
    this.id = options.id;
    this.laps = options.laps;
    this.track = options.track;
    this.lightMs = options.lightMs;
    this.finishGraceMs = options.finishGraceMs;
    this.createdAt = options.now;
    this.entries = options.cars.map((car) => ({
      car,
      status: 'grid',
      resetsBefore: undefined,
      onGrid: false,
      behindLine: false,
      baseLap: 0,
      gridDistance: 0,
      contactsBefore: 0,
      laps: 0,
      crossings: [],
      distance: 0,
      contacts: 0,
      falseStart: false,
      finishedAt: undefined,
      history: [],
      lastSeen: options.now,
    }));
  }

  get cars(): string[] {
    return this.entries.map((e) => e.car);
  }

  phase(now: number): RacePhase {
    this.advance(now);
    return this.phaseNow;
  }

  /** The reset count each car had when it was sent to the grid (its telemetry then), so its arrival shows. */
  sentToGrid(car: string, resets: number | undefined): void {
    const entry = this.entry(car);
    if (entry) entry.resetsBefore = resets ?? 0;
  }

  /** The cars not yet on their grid slot (their simulator has not reported the reset). */
  notOnGrid(): string[] {
    return this.entries.filter((e) => !e.onGrid).map((e) => e.car);
  }

  /** Lights on: the start sequence begins. Throws unless every car stands on the grid. */
  start(now: number): void {
    if (this.phaseNow !== 'grid') throw new RaceError(`the race is already ${this.phaseNow}`);
    const missing = this.notOnGrid();
    if (missing.length > 0) throw new RaceError(`not on the grid yet: car ${missing.join(', ')}`);
    this.phaseNow = 'lights';
    this.lightsOnAt = now;
    // Where each car stands when the lights come on: moving from here before lights out is a jumped start.
    for (const entry of this.entries) entry.gridDistance = entry.distance;
  }

  /** Start lights lit now, 0..5 (0 before the sequence and after lights out). */
  lights(now: number): number {
    this.advance(now);
    if (this.phaseNow !== 'lights' || this.lightsOnAt === undefined) return 0;
    return Math.min(5, 1 + Math.floor((now - this.lightsOnAt) / this.lightMs));
  }

  /** Cars that must not drive: all of them until lights out, then each one that has finished. */
  held(now: number): string[] {
    this.advance(now);
    if (this.phaseNow === 'grid' || this.phaseNow === 'lights' || this.phaseNow === 'finished') return this.cars;
    return this.entries.filter((e) => e.status !== 'racing').map((e) => e.car);
  }

  /** One car's telemetry, received at `now`. */
  ingest(car: string, sim: SimState, now: number): void {
    this.advance(now);
    const entry = this.entry(car);
    if (!entry) return;
    entry.lastSeen = now;
    entry.behindLine = this.track.stillBehindLine(entry.behindLine, sim.lap, sim.progress);
    entry.distance = this.track.raceDistance(sim.lap, sim.progress, entry.behindLine);
    const contacts = sim.contacts ?? 0;
    switch (this.phaseNow) {
      case 'grid':
      case 'lights':
        // On the grid: put there (its reset reported) and at rest, so the lights never start on a rolling car.
        if (!entry.onGrid && entry.resetsBefore !== undefined && (sim.resets ?? 0) > entry.resetsBefore && Math.abs(sim.speed) < AT_REST_SPEED) {
          entry.onGrid = true;
          // A grid slot is behind the line: the first crossing is the start of lap 1, no lap.
          entry.behindLine = true;
          entry.distance = this.track.raceDistance(sim.lap, sim.progress, this.track.stillBehindLine(true, sim.lap, sim.progress));
        }
        entry.baseLap = sim.lap;
        entry.contactsBefore = contacts;
        if (this.phaseNow === 'lights') {
          if (Math.abs(sim.speed) > FALSE_START_SPEED || Math.abs(entry.distance - entry.gridDistance) > FALSE_START_DISTANCE_M) entry.falseStart = true;
        }
        return;
      case 'racing':
        if (entry.status !== 'racing') return;
        entry.contacts = contacts - entry.contactsBefore;
        this.record(entry, now);
        this.countLaps(entry, sim, now);
        return;
      case 'finished':
        return;
    }
  }

  view(now: number): RaceView {
    this.advance(now);
    return {
      id: this.id,
      phase: this.phaseNow,
      laps: this.laps,
      track: this.track.name,
      lights: this.lights(now),
      raceMs: this.greenAt === undefined ? null : now - this.greenAt,
      waitingFor: this.phaseNow === 'grid' ? this.notOnGrid() : [],
      standings: this.standings(now),
    };
  }

  get startedAt(): number | undefined {
    return this.greenAt;
  }

  get endedAt(): number | undefined {
    return this.finishedAt;
  }

  private entry(car: string): Entry | undefined {
    return this.entries.find((e) => e.car === car);
  }

  private advance(now: number): void {
    if (this.phaseNow === 'lights' && this.lightsOnAt !== undefined && now - this.lightsOnAt >= 6 * this.lightMs) {
      this.phaseNow = 'racing';
      this.greenAt = this.lightsOnAt + 6 * this.lightMs;
      for (const entry of this.entries) {
        entry.status = 'racing';
        entry.crossings = [this.greenAt];
        entry.history = [[entry.distance, this.greenAt]];
      }
    }
    if (this.phaseNow !== 'racing') return;
    if (this.winnerAt !== undefined && now - this.winnerAt > this.finishGraceMs) {
      for (const entry of this.entries) if (entry.status === 'racing') entry.status = 'not-classified';
    }
    if (this.entries.every((e) => e.status === 'finished' || e.status === 'not-classified')) {
      this.phaseNow = 'finished';
      this.finishedAt = now;
    }
  }

  private record(entry: Entry, now: number): void {
    const last = entry.history[entry.history.length - 1];
    if (last && entry.distance < last[0] + HISTORY_STEP_M) return;
    if (entry.history.length >= MAX_HISTORY) entry.history.splice(1, entry.history.length / 2);
    entry.history.push([entry.distance, now]);
  }

  private countLaps(entry: Entry, sim: SimState, now: number): void {
    const laps = sim.lap - entry.baseLap;
    while (entry.laps < laps) {
      entry.laps++;
      // The simulator says how long ago it crossed the line: the crossing time, on the NUC's clock.
      const crossing = entry.laps === laps ? now - sim.lapTimeS * 1000 : now;
      entry.crossings.push(Math.max(crossing, entry.crossings[entry.crossings.length - 1]!));
      if (this.winnerAt !== undefined || entry.laps >= this.laps) {
        entry.status = 'finished';
        entry.finishedAt = entry.crossings[entry.crossings.length - 1];
        this.winnerAt ??= entry.finishedAt;
        return;
      }
    }
  }

  private lapTimes(entry: Entry): number[] {
    return entry.crossings.slice(1).map((t, i) => (t - entry.crossings[i]!) / 1000);
  }

  private standings(now: number): Standing[] {
    const order = [...this.entries].sort((a, b) => {
      const rank = (e: Entry) => (e.status === 'finished' ? 0 : e.status === 'not-classified' ? 2 : 1);
      if (rank(a) !== rank(b)) return rank(a) - rank(b);
      if (a.status === 'finished') return a.finishedAt! - b.finishedAt!;
      if (a.laps !== b.laps) return b.laps - a.laps;
      return b.distance - a.distance;
    });
    const leader = order[0]!;
    return order.map((entry, i) => {
      const times = this.lapTimes(entry);
      return {
        position: i + 1,
        car: entry.car,
        status: entry.status,
        laps: entry.laps,
        gapS: i === 0 ? 0 : this.gap(leader, entry, now),
        lastLapS: times.length ? round(times[times.length - 1]!) : null,
        bestLapS: times.length ? round(Math.min(...times)) : null,
        totalS: entry.finishedAt !== undefined && this.greenAt !== undefined ? round((entry.finishedAt - this.greenAt) / 1000) : null,
        falseStart: entry.falseStart,
        contacts: entry.contacts,
      };
    });
  }

  /** Seconds between the leader and `entry` passing the point `entry` is at now (or the finish line). */
  private gap(leader: Entry, entry: Entry, now: number): number | null {
    if (this.greenAt === undefined || entry.status === 'not-classified') return null;
    if (entry.status === 'finished' && leader.finishedAt !== undefined) return round((entry.finishedAt! - leader.finishedAt) / 1000);
    const at = timeAtDistance(leader.history, entry.distance);
    return at === undefined ? null : round(Math.max(0, now - at) / 1000);
  }
}

export class RaceError extends Error {
  override name = 'RaceError';
}

/** When a car whose furthest points are `history` (ascending) first reached `distance`. */
function timeAtDistance(history: ReadonlyArray<readonly [number, number]>, distance: number): number | undefined {
  if (history.length === 0) return undefined;
  if (distance <= history[0]![0]) return history[0]![1];
  let lo = 0;
  let hi = history.length - 1;
  if (distance > history[hi]![0]) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (history[mid]![0] < distance) lo = mid;
    else hi = mid;
  }
  const [d0, t0] = history[lo]!;
  const [d1, t1] = history[hi]!;
  return d1 === d0 ? t1 : t0 + ((distance - d0) / (d1 - d0)) * (t1 - t0);
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
