/**
 * One session on the track, as pure state: a race to N laps (grid, start lights, race, finish) or a
 * time-trial run (one car, a session of M minutes). Laps come from line crossings only (the timing
 * service's, or the timekeeper's added laps): the simulator's lap count is not read. Telemetry, where
 * a car has a simulator, says only when it stands on its grid slot, whether it moved under the lights
 * (a jumped start), and its contacts.
 *
 *   grid     every car is sent to its grid slot; a simulated car is there once its reset is reported
 *            at rest, a real car when the marshal put it there (at once)
 *   lights   race: five lights come on one by one, every `lightMs`, all out is the start; a car moving
 *            under them jumped the start (a jump-start penalty). A time-trial run starts at once.
 *   racing   race: lap 1 runs from lights out (the grid is behind the line, so the run-up crossing is
 *            refused as an impossible lap); the first car to complete `laps` wins, each other finishes
 *            at its next crossing, or is not classified `finishGraceMs` after the winner.
 *            trial: flying laps from the car's first crossing; laps ending within the session count.
 *   finished the result is final (corrections still apply until the session is closed)
 *
 * Which car crossed, when the crossing does not say (a beam or a strip alone cannot tell): the one
 * car still racing when only one is (a time trial, the last car home); with several, the crossing
 * waits unassigned on the timekeeper's page until the timekeeper assigns it. A guess from the cars'
 * positions could silently give a lap to the wrong car; an unassigned crossing is in plain sight and
 * one click puts it right. (The simulator and a transponder name the car themselves.)
 *
 * Every input is bounded: crossings for a car not in the session, from the future, before the start,
 * under a red flag or past the log's size, and more than a storm's worth a second, are refused and
 * counted by reason; so are corrections that name an unknown car, a lap in the future, or a crossing
 * that does not exist.
 */
import type { CrossingSource, RacePhase, SimState } from '../../protocol/index.ts';
import { countLaps, penaltiesOf, rankRace, rankTimeTrial, runningMs, type Lap, type Pause, type Penalty, type PenaltyKind, type PenaltySeconds } from './formats/index.ts';
import type { EntryStatus } from './formats/index.ts';

export type { EntryStatus } from './formats/index.ts';
export type SessionKind = 'race' | 'trial';

export interface RaceOptions {
  id: number;
  kind: SessionKind;
  cars: readonly string[];
  /** race: laps to win; trial: unused (0) */
  laps: number;
  /** trial: the session's length */
  minutes?: number;
  track: string;
  /** cars with a simulator: they report reaching the grid; the others are put there by hand */
  simulated: ReadonlySet<string>;
  lightMs: number;
  finishGraceMs: number;
  minLapMs: number;
  penalties: PenaltySeconds;
  /** what the session is (a bracket match, a heat, a run), shown on every view */
  label?: string;
  /** the racer's name and colour for a car (registration changes show at once) */
  racer: (car: string) => { name: string; colour: string };
  now: number;
}

export interface Standing {
  position: number;
  car: string;
  /** the registered racer's name ("Car <id>" when none) and colour (#rrggbb) */
  name: string;
  colour: string;
  status: EntryStatus;
  /** laps completed */
  laps: number;
  /** seconds behind the leader (a timing loop's gap: at the same lap, or at the finish); 0 for the leader */
  gapS: number | null;
  lastLapS: number | null;
  /** best lap, penalties given in it included */
  bestLapS: number | null;
  /** race time at the finish with penalties, seconds */
  totalS: number | null;
  /** penalties, seconds */
  penaltyS: number;
  falseStart: boolean;
  /** contacts with other cars during the session (simulated cars) */
  contacts: number;
}

export interface CrossingRecord {
  id: number;
  atMs: number;
  /** seconds into the session (race clock, red flags out) */
  raceS: number;
  gate: string;
  source: CrossingSource;
  /** null: not assigned yet */
  car: string | null;
  /** how the car was known: the source said, it was the only car racing, or the timekeeper assigned it */
  assigned: 'source' | 'only-car' | 'timekeeper' | null;
  struck: boolean;
  /** added by the timekeeper (a missed crossing) */
  added: boolean;
  /** came sooner than the minimum plausible lap after the car's last counted crossing: no lap */
  tooSoon: boolean;
}

export type CorrectionKind = 'strike' | 'add-lap' | 'assign' | 'penalty' | 'red-flag' | 'resume';

export interface Correction {
  id: number;
  kind: CorrectionKind;
  car?: string;
  crossing?: number;
  /** race clock seconds of the lap added or the penalty given */
  raceS?: number;
  penalty?: PenaltyKind;
  /** who made it (the timekeeper's name) */
  by: string;
  /** when (ISO) */
  at: string;
  reason: string;
}

export interface RaceView {
  id: number;
  kind: SessionKind;
  label: string | null;
  phase: RacePhase;
  laps: number;
  minutes: number | null;
  track: string;
  lights: number;
  /** race clock: ms since the start with red flags taken out (null before the start) */
  raceMs: number | null;
  /** trial: ms of the session left */
  remainingMs: number | null;
  redFlag: boolean;
  /** cars not yet on their grid slot (the lights cannot start until none is) */
  waitingFor: string[];
  standings: Standing[];
  /** the newest completed lap of any car */
  lastLap: { car: string; n: number; lapS: number } | null;
  /** the newest crossings first (at most CROSSINGS_SHOWN) */
  crossings: CrossingRecord[];
  corrections: Correction[];
}

/** Every lap of one car, for the results. */
export interface LapSheet {
  car: string;
  laps: Array<{ n: number; lapS: number; penaltyS: number; atS: number }>;
}

/** A simulated car slower than this stands still (on its grid slot). */
const AT_REST_SPEED = 0.05;
/** Moving faster than this before lights out is a jumped start. */
const FALSE_START_SPEED = 0.2;
/** A crossing's time may be ahead of the NUC's clock by this much (two hosts' clocks) before it is the future. */
const CLOCK_SLACK_MS = 1000;
export const MAX_CROSSINGS = 2000;
export const MAX_CORRECTIONS = 500;
/** Crossings a second a session takes in (a bucket of this many, refilled at this rate): a storm is dropped. */
const STORM_PER_S = 20;
const CROSSINGS_SHOWN = 40;

export type CrossingRefusal = 'not_racing' | 'not_in_race' | 'future' | 'before_start' | 'red_flag' | 'finished' | 'log_full' | 'storm';
export type CorrectionRefusal = 'unknown_car' | 'future_lap' | 'before_start' | 'unknown_crossing' | 'not_running' | 'too_many';

interface Entry {
  car: string;
  resetsBefore: number | undefined;
  onGrid: boolean;
  contactsBefore: number;
  contacts: number;
  falseStart: boolean;
}

export class RaceError extends Error {
  override name = 'RaceError';
  constructor(
    readonly reason: CorrectionRefusal | 'state',
    message: string,
  ) {
    super(message);
  }
}

export class Race {
  readonly id: number;
  readonly kind: SessionKind;
  readonly laps: number;
  readonly minutes: number | undefined;
  readonly label: string | undefined;
  readonly createdAt: number;
  readonly track: string;
  private phaseNow: RacePhase = 'grid';
  private lightsOnAt: number | undefined;
  private greenAt: number | undefined;
  private endedAtMs: number | undefined;
  private readonly entries: Entry[];
  private readonly log: CrossingRecord[] = [];
  private readonly fixes: Correction[] = [];
  private readonly pauses: Pause[] = [];
  private readonly penalties: Penalty[] = [];
  private nextId = 1;
  private bucket = STORM_PER_S;
  private bucketAt = 0;
  readonly refused: Partial<Record<CrossingRefusal, number>> = {};

  constructor(private readonly options: RaceOptions) {
    if (options.cars.length === 0) throw new RangeError('a race needs at least one car');
    if (new Set(options.cars).size !== options.cars.length) throw new RangeError('a car can only start once in a race');
    if (options.kind === 'race' && (!Number.isInteger(options.laps) || options.laps < 1)) throw new RangeError(`laps must be a whole number ≥ 1, got ${options.laps}`);
    if (options.kind === 'trial') {
      if (options.cars.length !== 1) throw new RangeError('a time-trial run is one car alone on the track');
      if (!(options.minutes! > 0)) throw new RangeError(`a time-trial session needs its length in minutes, got ${options.minutes}`);
    }
    this.id = options.id;
    this.kind = options.kind;
    this.laps = options.laps;
    this.minutes = options.minutes;
    this.label = options.label;
    this.track = options.track;
    this.createdAt = options.now;
    this.entries = options.cars.map((car) => ({
      car,
      resetsBefore: undefined,
      onGrid: !options.simulated.has(car),
      contactsBefore: 0,
      contacts: 0,
      falseStart: false,
    }));
  }

  get cars(): string[] {
    return this.entries.map((e) => e.car);
  }

  get startedAt(): number | undefined {
    return this.greenAt;
  }

  get endedAt(): number | undefined {
    return this.endedAtMs;
  }

  get redFlag(): boolean {
    const last = this.pauses.at(-1);
    return last !== undefined && last.toMs === undefined;
  }

  phase(now: number): RacePhase {
    this.advance(now);
    return this.phaseNow;
  }

  /** The reset count a simulated car had when it was sent to the grid, so its arrival shows. */
  sentToGrid(car: string, resets: number | undefined): void {
    const entry = this.entry(car);
    if (entry && this.options.simulated.has(car)) entry.resetsBefore = resets ?? 0;
  }

  notOnGrid(): string[] {
    return this.entries.filter((e) => !e.onGrid).map((e) => e.car);
  }

  /** Lights on (a race) or the run's start (a trial). Throws unless every car stands on the grid. */
  start(now: number): void {
    if (this.phaseNow !== 'grid') throw new RaceError('state', `the race is already ${this.phaseNow}`);
    const missing = this.notOnGrid();
    if (missing.length > 0) throw new RaceError('state', `not on the grid yet: car ${missing.join(', ')}`);
    if (this.kind === 'trial') {
      this.phaseNow = 'racing';
      this.greenAt = now;
      return;
    }
    this.phaseNow = 'lights';
    this.lightsOnAt = now;
  }

  /** Start lights lit now, 0..5 (0 before the sequence and after lights out). */
  lights(now: number): number {
    this.advance(now);
    if (this.phaseNow !== 'lights' || this.lightsOnAt === undefined) return 0;
    return Math.min(5, 1 + Math.floor((now - this.lightsOnAt) / this.options.lightMs));
  }

  /** Cars that must not drive: all until the start and under a red flag, then each one that has finished. */
  held(now: number): string[] {
    this.advance(now);
    if (this.phaseNow !== 'racing' || this.redFlag) return this.cars;
    const standings = this.standings(now);
    return standings.filter((s) => s.status !== 'racing').map((s) => s.car);
  }

  /** One simulated car's telemetry, received at `now`: grid arrival, a jumped start, contacts. */
  ingest(car: string, sim: SimState, now: number): void {
    this.advance(now);
    const entry = this.entry(car);
    if (!entry) return;
    const contacts = sim.contacts ?? 0;
    if (this.phaseNow === 'grid' || this.phaseNow === 'lights') {
      if (!entry.onGrid && entry.resetsBefore !== undefined && (sim.resets ?? 0) > entry.resetsBefore && Math.abs(sim.speed) < AT_REST_SPEED) entry.onGrid = true;
      entry.contactsBefore = contacts;
      if (this.phaseNow === 'lights' && Math.abs(sim.speed) > FALSE_START_SPEED) this.jumpedStart(entry, now);
    } else if (this.phaseNow === 'racing') {
      entry.contacts = contacts - entry.contactsBefore;
    }
  }

  /** A crossing of the line; the reason when it is refused. */
  crossing(crossing: { atMs: number; gate: string; source: CrossingSource; car?: string }, now: number): CrossingRefusal | undefined {
    const refuse = (reason: CrossingRefusal): CrossingRefusal => {
      this.refused[reason] = (this.refused[reason] ?? 0) + 1;
      return reason;
    };
    // the cheap refusals first: a storm costs no more than counting it
    if (!this.takeToken(now)) return refuse('storm');
    if (this.log.length >= MAX_CROSSINGS) return refuse('log_full');
    this.advance(now);
    if (this.phaseNow !== 'racing' || this.greenAt === undefined) return refuse('not_racing');
    if (crossing.atMs > now + CLOCK_SLACK_MS) return refuse('future');
    if (crossing.atMs < this.greenAt) return refuse('before_start');
    if (this.paused(crossing.atMs)) return refuse('red_flag');
    let car = crossing.car ?? null;
    let assigned: CrossingRecord['assigned'] = car ? 'source' : null;
    if (car !== null && !this.entry(car)) return refuse('not_in_race');
    const standings = this.standings(now);
    if (car !== null && standings.find((s) => s.car === car)?.status !== 'racing') return refuse('finished');
    if (car === null) {
      const racing = standings.filter((s) => s.status === 'racing');
      if (racing.length === 1) {
        car = racing[0]!.car;
        assigned = 'only-car';
      }
    }
    this.log.push({ id: this.nextId++, atMs: crossing.atMs, raceS: 0, gate: crossing.gate, source: crossing.source, car, assigned, struck: false, added: false, tooSoon: false });
    this.advance(now);
    return undefined;
  }

  /** Strikes a false crossing. */
  strike(id: number, who: { by: string; reason: string }, now: number): void {
    const record = this.record(id);
    if (record.struck) throw new RaceError('state', `crossing ${id} is already struck`);
    this.correct({ kind: 'strike', crossing: id, ...(record.car ? { car: record.car } : {}), ...who }, now);
    record.struck = true;
  }

  /** Says which car a crossing was. */
  assign(id: number, car: string, who: { by: string; reason: string }, now: number): void {
    const record = this.record(id);
    this.requireCar(car);
    this.correct({ kind: 'assign', crossing: id, car, ...who }, now);
    record.car = car;
    record.assigned = 'timekeeper';
  }

  /** A missed crossing: a lap for `car` completed at `raceS` on the race clock. */
  addLap(car: string, raceS: number, who: { by: string; reason: string }, now: number): CrossingRecord {
    this.requireCar(car);
    if (this.greenAt === undefined) throw new RaceError('not_running', 'the session has not started: there is no lap to add');
    if (!(raceS >= 0)) throw new RaceError('before_start', `a lap cannot end before the start (race time ${raceS} s)`);
    const clock = this.clockMs(now)!;
    if (raceS * 1000 > clock) throw new RaceError('future_lap', `a lap at ${raceS.toFixed(3)} s is in the future: the race clock shows ${(clock / 1000).toFixed(3)} s`);
    if (this.log.length >= MAX_CROSSINGS) throw new RaceError('too_many', `the session already holds ${MAX_CROSSINGS} crossings`);
    this.correct({ kind: 'add-lap', car, raceS, ...who }, now);
    const record: CrossingRecord = { id: this.nextId++, atMs: this.wallAt(raceS * 1000), raceS, gate: 'manual', source: 'manual', car, assigned: 'timekeeper', struck: false, added: true, tooSoon: false };
    this.log.push(record);
    return record;
  }

  penalty(car: string, kind: PenaltyKind, who: { by: string; reason: string }, now: number): void {
    this.requireCar(car);
    if (this.greenAt === undefined && kind !== 'jump-start') throw new RaceError('not_running', 'the session has not started');
    this.correct({ kind: 'penalty', car, penalty: kind, raceS: (this.clockMs(now) ?? 0) / 1000, ...who }, now);
    this.penalties.push({ car, kind, atMs: now });
  }

  /** Red flag: the race clock stops, every car is held, crossings are refused until it resumes. */
  redFlagOn(who: { by: string; reason: string }, now: number): void {
    this.advance(now);
    if (this.phaseNow !== 'racing') throw new RaceError('not_running', `a red flag stops a race that is running, not one ${this.phaseNow}`);
    if (this.redFlag) throw new RaceError('state', 'the red flag is already out');
    this.correct({ kind: 'red-flag', ...who }, now);
    this.pauses.push({ fromMs: now });
  }

  resume(who: { by: string; reason: string }, now: number): void {
    if (!this.redFlag) throw new RaceError('state', 'there is no red flag to lift');
    this.correct({ kind: 'resume', ...who }, now);
    this.pauses.at(-1)!.toMs = now;
  }

  view(now: number): RaceView {
    this.advance(now);
    const standings = this.standings(now);
    const clock = this.clockMs(now);
    let lastLap: RaceView['lastLap'] = null;
    let lastEnd = -1;
    for (const entry of this.entries) {
      const lap = this.lapsOf(entry.car).at(-1);
      if (lap && lap.endMs > lastEnd) {
        lastEnd = lap.endMs;
        lastLap = { car: entry.car, n: lap.n, lapS: round((lap.timeMs + lap.penaltyMs) / 1000) };
      }
    }
    return {
      id: this.id,
      kind: this.kind,
      label: this.label ?? null,
      phase: this.phaseNow,
      laps: this.laps,
      minutes: this.minutes ?? null,
      track: this.track,
      lights: this.lights(now),
      raceMs: clock,
      remainingMs: this.kind === 'trial' && clock !== null ? Math.max(0, this.minutes! * 60_000 - clock) : null,
      redFlag: this.redFlag,
      waitingFor: this.phaseNow === 'grid' ? this.notOnGrid() : [],
      standings,
      lastLap,
      crossings: this.crossings().slice(-CROSSINGS_SHOWN).reverse(),
      corrections: [...this.fixes],
    };
  }

  /** Every crossing with its race time and whether it made a lap. */
  crossings(): CrossingRecord[] {
    const counted = new Map<string, Set<number>>();
    for (const entry of this.entries) counted.set(entry.car, new Set(this.lapsOf(entry.car).map((l) => l.endMs)));
    const first = new Map<string, number>();
    if (this.kind === 'trial') for (const entry of this.entries) first.set(entry.car, this.firstCrossing(entry.car) ?? -1);
    return [...this.log]
      .sort((a, b) => a.atMs - b.atMs || a.id - b.id)
      .map((r) => ({
        ...r,
        raceS: this.greenAt === undefined ? 0 : round(runningMs(this.greenAt, r.atMs, this.pauses) / 1000),
        tooSoon: !r.struck && r.car !== null && !counted.get(r.car)?.has(r.atMs) && first.get(r.car) !== r.atMs,
      }));
  }

  /** Every car's laps, for the results. */
  allLaps(): LapSheet[] {
    return this.entries.map((e) => ({
      car: e.car,
      laps: this.lapsOf(e.car).map((l) => ({ n: l.n, lapS: round(l.timeMs / 1000), penaltyS: round(l.penaltyMs / 1000), atS: round(runningMs(this.greenAt!, l.endMs, this.pauses) / 1000) })),
    }));
  }

  /** The counted laps of `car`: crossings assigned to it and not struck, under the format's rules. */
  lapsOf(car: string): Lap[] {
    if (this.greenAt === undefined) return [];
    const times = this.log.filter((r) => r.car === car && !r.struck).map((r) => r.atMs);
    const penalties = penaltiesOf(car, this.penalties, this.options.penalties);
    if (this.kind === 'trial') {
      const first = this.firstCrossing(car);
      if (first === undefined) return [];
      const untilMs = this.wallAt(this.minutes! * 60_000);
      return countLaps(times, { startMs: first, minLapMs: this.options.minLapMs, pauses: this.pauses, penalties, untilMs }).laps;
    }
    const laps = countLaps(times, { startMs: this.greenAt, minLapMs: this.options.minLapMs, pauses: this.pauses, penalties }).laps;
    return laps;
  }

  private firstCrossing(car: string): number | undefined {
    const times = this.log.filter((r) => r.car === car && !r.struck && r.atMs >= this.greenAt!).map((r) => r.atMs);
    return times.length ? Math.min(...times) : undefined;
  }

  private entry(car: string): Entry | undefined {
    return this.entries.find((e) => e.car === car);
  }

  private requireCar(car: string): void {
    if (!this.entry(car)) throw new RaceError('unknown_car', `car ${car} is not in this session (${this.cars.join(', ')})`);
  }

  private record(id: number): CrossingRecord {
    const record = this.log.find((r) => r.id === id);
    if (!record) throw new RaceError('unknown_crossing', `no crossing ${id} in this session`);
    return record;
  }

  private correct(fields: Omit<Correction, 'id' | 'at'>, now: number): void {
    if (this.fixes.length >= MAX_CORRECTIONS) throw new RaceError('too_many', `the session already holds ${MAX_CORRECTIONS} corrections`);
    this.fixes.push({ id: this.fixes.length + 1, at: new Date(now).toISOString(), ...fields });
  }

  private jumpedStart(entry: Entry, now: number): void {
    if (entry.falseStart) return;
    entry.falseStart = true;
    this.penalties.push({ car: entry.car, kind: 'jump-start', atMs: now });
  }

  private takeToken(now: number): boolean {
    this.bucket = Math.min(2 * STORM_PER_S, this.bucket + ((now - this.bucketAt) / 1000) * STORM_PER_S);
    this.bucketAt = now;
    if (this.bucket < 1) return false;
    this.bucket -= 1;
    return true;
  }

  private paused(atMs: number): boolean {
    return this.pauses.some((p) => atMs >= p.fromMs && atMs < (p.toMs ?? Number.POSITIVE_INFINITY));
  }

  /** The race clock at `now`: running ms since the start. */
  private clockMs(now: number): number | null {
    if (this.greenAt === undefined) return null;
    const end = this.endedAtMs !== undefined ? Math.min(now, this.endedAtMs) : now;
    return runningMs(this.greenAt, end, this.pauses);
  }

  /** The NUC time at which the race clock showed `clockMs` (pauses put back in). */
  private wallAt(clockMs: number): number {
    let at = this.greenAt! + clockMs;
    for (const pause of this.pauses) {
      if (pause.fromMs >= at) break;
      at += (pause.toMs ?? Number.POSITIVE_INFINITY) - pause.fromMs;
    }
    return at;
  }

  private advance(now: number): void {
    if (this.phaseNow === 'lights' && this.lightsOnAt !== undefined && now - this.lightsOnAt >= 6 * this.options.lightMs) {
      this.phaseNow = 'racing';
      this.greenAt = this.lightsOnAt + 6 * this.options.lightMs;
    }
    if (this.phaseNow !== 'racing' && this.phaseNow !== 'finished') return;
    const end = this.endOf(now);
    if (end !== undefined) {
      this.phaseNow = 'finished';
      this.endedAtMs = end;
    } else if (this.phaseNow === 'finished') {
      // a correction took the finish back (a struck winning crossing): racing again
      this.phaseNow = 'racing';
      this.endedAtMs = undefined;
    }
  }

  /** When the session ended, if it has. */
  private endOf(now: number): number | undefined {
    if (this.redFlag) return undefined;
    if (this.kind === 'trial') {
      const end = this.wallAt(this.minutes! * 60_000);
      return now >= end ? end : undefined;
    }
    const states = this.raceStates(now);
    if (states.every((s) => s.status === 'finished' || s.status === 'not-classified')) return Math.max(...states.map((s) => s.endMs ?? 0));
    return undefined;
  }

  /** Each car's status in a race to N laps, from its laps. */
  private raceStates(now: number): Array<{ car: string; status: EntryStatus; laps: Lap[]; endMs?: number }> {
    const all = this.entries.map((e) => ({ car: e.car, laps: this.lapsOf(e.car) }));
    // the winner: the first to complete the laps
    let winnerAt: number | undefined;
    for (const { laps } of all) {
      const flag = laps[this.laps - 1];
      if (flag && (winnerAt === undefined || flag.endMs < winnerAt)) winnerAt = flag.endMs;
    }
    return all.map(({ car, laps }) => {
      if (winnerAt === undefined) return { car, status: 'racing' as const, laps };
      // after the flag, a car finishes at its next crossing
      const finishing = laps.findIndex((l) => l.endMs >= winnerAt!);
      if (finishing >= 0) return { car, status: 'finished' as const, laps: laps.slice(0, finishing + 1), endMs: laps[finishing]!.endMs };
      const graceEnd = winnerAt + this.options.finishGraceMs;
      if (now - graceEnd > 0 && !this.redFlag) return { car, status: 'not-classified' as const, laps, endMs: graceEnd };
      return { car, status: 'racing' as const, laps };
    });
  }

  private standings(now: number): Standing[] {
    const byCar = new Map(this.entries.map((e) => [e.car, e]));
    const penaltyMs = (car: string) => penaltiesOf(car, this.penalties, this.options.penalties).reduce((sum, p) => sum + p.ms, 0);
    const common = (car: string, laps: Lap[]) => {
      const entry = byCar.get(car)!;
      const times = laps.map((l) => l.timeMs + l.penaltyMs);
      const { name, colour } = this.options.racer(car);
      return {
        car,
        name,
        colour,
        laps: laps.length,
        lastLapS: times.length ? round(times.at(-1)! / 1000) : null,
        bestLapS: times.length ? round(Math.min(...times) / 1000) : null,
        penaltyS: round(penaltyMs(car) / 1000),
        falseStart: entry.falseStart,
        contacts: entry.contacts,
      };
    };
    if (this.greenAt === undefined) {
      return this.entries.map((e, i) => ({ ...common(e.car, []), position: i + 1, status: 'grid', gapS: null, totalS: null }));
    }
    if (this.kind === 'trial') {
      const car = this.entries[0]!.car;
      const laps = this.lapsOf(car);
      const [rank] = rankTimeTrial([{ car, runs: [laps] }], { by: 'best-lap' });
      return [{ ...common(car, laps), position: rank!.position, status: this.phaseNow === 'finished' ? 'finished' : 'racing', gapS: 0, totalS: null }];
    }
    const states = this.raceStates(now);
    const ranks = rankRace(
      states.map((s) => ({
        car: s.car,
        status: s.status,
        lapEnds: s.laps.map((l) => l.endMs),
        raceMs: s.status === 'finished' ? runningMs(this.greenAt!, s.endMs!, this.pauses) : null,
        penaltyMs: penaltyMs(s.car),
      })),
    );
    return ranks.map((rank) => {
      const state = states.find((s) => s.car === rank.car)!;
      const raceMs = state.status === 'finished' ? runningMs(this.greenAt!, state.endMs!, this.pauses) + penaltyMs(rank.car) : null;
      return {
        ...common(rank.car, state.laps),
        position: rank.position,
        status: state.status,
        gapS: rank.gapMs === null ? null : round(rank.gapMs / 1000),
        totalS: raceMs === null ? null : round(raceMs / 1000),
      };
    });
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
