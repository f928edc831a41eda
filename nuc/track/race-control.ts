/**
 * The shared track's live side on the NUC: the pose table fed by telemetry, `nuc/track/poses`
 * published at `posesHz` (every car's pose and the session, with the cars it holds), resets sent to
 * simulated cars, and the one session at a time (a race or a time-trial run, alone or as part of a
 * competition): made on the grid, started, fed the line crossings, corrected by the timekeeper, and
 * its result saved once it finishes (and again after each later correction).
 */
import type { BusMessage, FieldsOf } from '../../protocol/index.ts';
import {
  CompetitionError,
  competitionStandings,
  isFinished,
  nextSession,
  rankedCars,
  recordSession,
  startCompetition,
  type CompetitionConfig,
  type CompetitionStandings,
  type CompetitionState,
  type SessionPlan,
} from './competition.ts';
import { BracketError, DEFAULT_PENALTIES, type PenaltyKind, type PenaltySeconds } from './formats/index.ts';
import type { TrackGeometry } from './geometry.ts';
import { PoseTable } from './pose-table.ts';
import { Race, RaceError, type CorrectionRefusal, type RaceView, type SessionKind } from './race.ts';
import { RacerBook, type Racer } from './racers.ts';
import type { RaceResult, RaceStore } from './race-store.ts';

export interface TrackSinks {
  reset(car: string, fields: FieldsOf<'reset'>): void;
  poses(fields: FieldsOf<'poses'>): void;
}

export interface RaceControlOptions {
  geometry: TrackGeometry;
  sinks: TrackSinks;
  store?: RaceStore;
  lightMs: number;
  finishGraceMs: number;
  posesHz: number;
  /** laps quicker than this are refused as impossible */
  minLapMs?: number;
  penalties?: PenaltySeconds;
  /** cars the NUC knows besides the simulated ones on the track and the registered racers (real cars) */
  knownCar?: (car: string) => boolean;
  log?: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
  now?: () => number;
}

type RefusalStatus = 400 | 404 | 409 | 422;

/** Why a request was refused, with the HTTP status that says so. */
export class RaceControlError extends Error {
  override name = 'RaceControlError';
  constructor(
    readonly status: RefusalStatus,
    message: string,
  ) {
    super(message);
  }
}

export interface NewRace {
  kind?: SessionKind;
  cars: string[];
  /** race: laps to win */
  laps?: number;
  /** trial: the session's length */
  minutes?: number;
}

/** Who made a correction and why (kept with it and shown on the results). */
export interface Who {
  by: string;
  reason: string;
}

/** What the live views get: the session, its competition, and what was refused. */
export interface LiveRace extends RaceView {
  competition: number | null;
}

type CompetitionRequest = CompetitionConfig & { seedFrom?: number };

export interface CompetitionView {
  id: number;
  config: CompetitionConfig;
  sessions: CompetitionState['sessions'];
  standings: CompetitionStandings;
  finished: boolean;
  /** the next session, if any */
  next: { label: string; cars: string[] } | null;
}

type Listener = (view: LiveRace | undefined) => void;

/** How often listeners get the standings while a race is on (the poses go out faster). */
const STANDINGS_HZ = 5;
const DEFAULT_MIN_LAP_MS = 3000;
const MAX_COMPETITIONS = 200;

const STATUS_OF: Record<CorrectionRefusal | 'state', RefusalStatus> = {
  unknown_car: 404,
  unknown_crossing: 404,
  future_lap: 422,
  before_start: 422,
  not_running: 409,
  too_many: 409,
  state: 409,
};

export class RaceControl {
  readonly table: PoseTable;
  readonly racers: RacerBook;
  /** refused crossings and corrections, by reason (never shown, counted) */
  readonly refused: Record<string, number> = {};
  private race: Race | undefined;
  private plan: { competition: number; ref: string } | undefined;
  private savedVersion = -1;
  private version = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;
  private readonly competitionsById = new Map<number, CompetitionState>();
  private ticks = 0;
  /** resets sent, by where to */
  readonly resets = { track: 0, grid: 0 };

  constructor(private readonly options: RaceControlOptions) {
    this.table = new PoseTable(options.geometry.name);
    this.now = options.now ?? Date.now;
    this.racers = new RacerBook(options.store?.racers() ?? []);
    for (const state of options.store?.competitions() ?? []) this.competitionsById.set(state.id, state);
  }

  get geometry(): TrackGeometry {
    return this.options.geometry;
  }

  ingest(message: BusMessage): void {
    if (message.kind === 'crossing') return this.crossing(message.header);
    if (message.kind !== 'telemetry' || message.topic.scope !== 'car' || !message.header.sim) return;
    const now = this.now();
    if (!this.table.ingest(message.topic.id, message.header.sim, now)) return;
    this.race?.ingest(message.topic.id, message.header.sim, now);
    this.settle(now);
  }

  posesFields(now = this.now()): FieldsOf<'poses'> {
    const fields: FieldsOf<'poses'> = { track: this.geometry.name, cars: this.table.poses(now) };
    if (this.race) fields.race = { id: this.race.id, phase: this.race.phase(now), lights: this.race.lights(now), hold: this.race.held(now) };
    return fields;
  }

  current(): LiveRace | undefined {
    const now = this.now();
    this.settle(now);
    if (!this.race) return undefined;
    return { ...this.race.view(now), competition: this.plan?.competition ?? null };
  }

  createRace(request: NewRace, plan?: SessionPlan & { competition: number }): LiveRace {
    const now = this.now();
    if (this.race && this.race.phase(now) !== 'finished') throw new RaceControlError(409, `race ${this.race.id} is still ${this.race.phase(now)}: finish or close it first`);
    const unknown = request.cars.filter((car) => !this.canRace(car));
    if (unknown.length) throw new RaceControlError(404, `unknown car ${unknown.join(', ')}: register a racer for it, or put a simulated car on the ${this.geometry.name} track`);
    if (this.race) this.closeRace();
    const kind = request.kind ?? 'race';
    let race: Race;
    try {
      const session = { kind, track: this.geometry.name, laps: request.laps ?? 0, ...(request.minutes ? { minutes: request.minutes } : {}) };
      const id =
        this.options.store?.create({ ...session, ...(plan ? { label: plan.label, competition: plan.competition } : {}) }, new Date(now)) ?? now;
      race = new Race({
        ...session,
        id,
        cars: request.cars,
        simulated: new Set(request.cars.filter((car) => this.table.get(car))),
        lightMs: this.options.lightMs,
        finishGraceMs: this.options.finishGraceMs,
        minLapMs: this.options.minLapMs ?? DEFAULT_MIN_LAP_MS,
        penalties: this.options.penalties ?? DEFAULT_PENALTIES,
        racer: (car) => this.racers.of(car),
        ...(plan ? { label: plan.label } : {}),
        now,
      });
    } catch (error) {
      if (error instanceof RangeError) throw new RaceControlError(409, error.message);
      throw error;
    }
    this.race = race;
    this.plan = plan && { competition: plan.competition, ref: plan.ref };
    this.savedVersion = -1;
    this.version = 0;
    // The hold goes out before the resets, so no pilot drives off the grid slot it lands on.
    this.options.sinks.poses(this.posesFields(now));
    request.cars.forEach((car, slot) => {
      if (!this.table.get(car)) return;
      race.sentToGrid(car, this.table.get(car)?.sim.resets);
      this.sendReset(car, { to: 'grid', slot });
    });
    this.options.log?.info({ race: race.id, kind, cars: request.cars, laps: request.laps, minutes: request.minutes, label: plan?.label }, 'session on the grid');
    this.emit();
    return this.current()!;
  }

  startRace(): LiveRace {
    const race = this.requireRace();
    this.refusing(() => race.start(this.now()));
    this.options.log?.info({ race: race.id }, race.kind === 'trial' ? 'time-trial run started' : 'start lights');
    this.emit();
    return this.current()!;
  }

  /** Ends the current session (abandoned unless it finished; a finished one goes into its competition) and lets every car drive again. */
  closeRace(): void {
    const race = this.requireRace();
    const now = this.now();
    const phase = race.phase(now);
    this.options.log?.info({ race: race.id, phase }, 'session closed');
    if (phase === 'finished' && this.plan) this.recordInCompetition(race, this.plan);
    this.race = undefined;
    this.plan = undefined;
    this.emit();
  }

  resetCar(car: string): void {
    if (!this.table.get(car)) throw new RaceControlError(404, `car ${car} has no simulator on the ${this.geometry.name} track to reset`);
    this.sendReset(car, { to: 'track' });
  }

  // ── the timekeeper's corrections ────────────────────────────────────────────────────────────────

  strike(crossing: number, who: Who): LiveRace {
    return this.correcting((race, now) => race.strike(crossing, who, now), { crossing, ...who }, 'crossing struck');
  }

  assign(crossing: number, car: string, who: Who): LiveRace {
    return this.correcting((race, now) => race.assign(crossing, car, who, now), { crossing, car, ...who }, 'crossing assigned');
  }

  addLap(car: string, raceS: number, who: Who): LiveRace {
    return this.correcting((race, now) => void race.addLap(car, raceS, who, now), { car, raceS, ...who }, 'lap added');
  }

  penalty(car: string, kind: PenaltyKind, who: Who): LiveRace {
    return this.correcting((race, now) => race.penalty(car, kind, who, now), { car, kind, ...who }, 'penalty given');
  }

  redFlag(who: Who): LiveRace {
    return this.correcting((race, now) => race.redFlagOn(who, now), who, 'red flag');
  }

  resume(who: Who): LiveRace {
    return this.correcting((race, now) => race.resume(who, now), who, 'race resumed');
  }

  // ── racers ──────────────────────────────────────────────────────────────────────────────────────

  registerRacer(racer: Racer): Racer {
    if (!this.racers.set(racer)) throw new RaceControlError(409, 'the racer list is full: remove a racer first');
    this.options.store?.saveRacer(racer);
    this.emit();
    return racer;
  }

  removeRacer(car: string): void {
    if (!this.racers.remove(car)) throw new RaceControlError(404, `no racer registered for car ${car}`);
    this.options.store?.removeRacer(car);
    this.emit();
  }

  // ── competitions ────────────────────────────────────────────────────────────────────────────────

  createCompetition(request: CompetitionRequest): CompetitionView {
    const { seedFrom, ...config } = request;
    if (this.competitionsById.size >= MAX_COMPETITIONS) throw new RaceControlError(409, `the NUC keeps ${MAX_COMPETITIONS} competitions: that is the most`);
    if (seedFrom !== undefined) {
      const from = this.competitionsById.get(seedFrom);
      if (!from) throw new RaceControlError(404, `no competition ${seedFrom} to seed from`);
      const ranked = rankedCars(from);
      // seeded in the source's ranking order; cars named too but not ranked there follow
      config.cars = [...ranked.filter((c) => config.cars.length === 0 || config.cars.includes(c)), ...config.cars.filter((c) => !ranked.includes(c))];
    }
    const unknown = config.cars.filter((car) => !this.canRace(car));
    if (unknown.length) throw new RaceControlError(404, `unknown car ${unknown.join(', ')}: register a racer for it first`);
    let state: CompetitionState;
    try {
      state = startCompetition(0, config);
    } catch (error) {
      if (error instanceof CompetitionError || error instanceof RangeError) throw new RaceControlError(409, error.message);
      throw error;
    }
    const id = this.options.store?.createCompetition(new Date(this.now())) ?? this.competitionsById.size + 1;
    state = { ...state, id };
    this.competitionsById.set(id, state);
    this.options.store?.saveCompetition(state);
    this.options.log?.info({ competition: id, kind: config.kind, cars: config.cars }, 'competition made');
    return this.competition(id);
  }

  competitions(): CompetitionView[] {
    return [...this.competitionsById.keys()].sort((a, b) => b - a).map((id) => this.competition(id));
  }

  competition(id: number): CompetitionView {
    const state = this.competitionsById.get(id);
    if (!state) throw new RaceControlError(404, `no competition ${id}`);
    const next = nextSession(state);
    return {
      id,
      config: state.config,
      sessions: state.sessions,
      standings: competitionStandings(state),
      finished: isFinished(state),
      next: next ? { label: next.label, cars: next.cars } : null,
    };
  }

  /** Puts the competition's next session (a run for `car`, a heat, a match) on the grid. */
  nextSession(id: number, car?: string): LiveRace {
    const state = this.competitionsById.get(id);
    if (!state) throw new RaceControlError(404, `no competition ${id}`);
    let plan: SessionPlan | undefined;
    try {
      plan = nextSession(state, car);
    } catch (error) {
      if (error instanceof CompetitionError) throw new RaceControlError(409, error.message);
      throw error;
    }
    if (!plan) throw new RaceControlError(409, `${state.config.name} is complete: no session left to run`);
    const request: NewRace = plan.kind === 'trial' ? { kind: 'trial', cars: plan.cars, minutes: plan.minutes } : { kind: 'race', cars: plan.cars, laps: plan.laps };
    return this.createRace(request, { ...plan, competition: id });
  }

  results(limit: number): RaceResult[] {
    return this.options.store?.results(limit) ?? [];
  }

  result(id: number): RaceResult {
    const found = this.options.store?.result(id);
    if (!found) throw new RaceControlError(404, `no finished session ${id}`);
    return found;
  }

  /** Standings while a session is on, and `undefined` when it closes. */
  onRace(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), 1000 / this.options.posesHz);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One period: publish the poses, pass on the standings now and then. */
  tick(): void {
    const now = this.now();
    this.options.sinks.poses(this.posesFields(now));
    if (!this.race) return;
    this.ticks++;
    if (!this.settle(now) && this.ticks % Math.max(1, Math.round(this.options.posesHz / STANDINGS_HZ)) === 0) this.emit();
  }

  private canRace(car: string): boolean {
    return this.table.get(car) !== undefined || this.racers.has(car) || (this.options.knownCar?.(car) ?? false);
  }

  private crossing(header: FieldsOf<'crossing'>): void {
    const now = this.now();
    const refusal = this.race ? this.race.crossing({ atMs: header.atMs, gate: header.gate, source: header.source, ...(header.car ? { car: header.car } : {}) }, now) : 'no_session';
    if (refusal) {
      this.count(`crossing_${refusal}`);
      return;
    }
    this.version++;
    if (!this.settle(now)) this.emit();
  }

  private correcting(apply: (race: Race, now: number) => void, fields: object, message: string): LiveRace {
    const race = this.requireRace();
    this.refusing(() => apply(race, this.now()));
    this.version++;
    this.options.log?.info({ race: race.id, ...fields }, message);
    if (!this.settle(this.now())) this.emit();
    return this.current()!;
  }

  /** Runs `action`, turning the race's refusals into HTTP refusals (counted by reason). */
  private refusing(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (!(error instanceof RaceError)) throw error;
      if (error.reason !== 'state') this.count(`correction_${error.reason}`);
      throw new RaceControlError(STATUS_OF[error.reason], error.message);
    }
  }

  private count(reason: string): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
  }

  private recordInCompetition(race: Race, plan: { competition: number; ref: string }): void {
    const state = this.competitionsById.get(plan.competition);
    if (!state) return;
    const view = race.view(this.now());
    try {
      const next = recordSession(state, {
        ref: plan.ref,
        raceId: race.id,
        label: race.label ?? plan.ref,
        standings: view.standings,
        ...(race.kind === 'trial' ? { laps: race.lapsOf(race.cars[0]!) } : {}),
      });
      this.competitionsById.set(state.id, next);
      this.options.store?.saveCompetition(next);
      this.options.log?.info({ competition: state.id, ref: plan.ref, race: race.id }, 'session result in its competition');
    } catch (error) {
      if (!(error instanceof CompetitionError || error instanceof BracketError)) throw error;
      this.options.log?.warn({ competition: state.id, ref: plan.ref, err: error }, 'session result not taken by its competition');
    }
  }

  /**
   * Saves the result the moment the session is over, and again after each correction, so whoever
   * sees it finished (the API, the live views) finds it in the record; true when it did so now.
   */
  private settle(now: number): boolean {
    const race = this.race;
    if (!race || this.savedVersion === this.version || race.phase(now) !== 'finished') return false;
    this.savedVersion = this.version;
    this.save(race, now);
    this.emit();
    return true;
  }

  private save(race: Race, now: number): void {
    const view = race.view(now);
    this.options.log?.info({ race: race.id, standings: view.standings.map((s) => `${s.position}. ${s.car} ${s.status}`) }, 'session finished');
    try {
      this.options.store?.saveResult(race.id, new Date(race.startedAt ?? now), new Date(race.endedAt ?? now), view.standings, race.allLaps(), view.corrections);
    } catch (error) {
      this.options.log?.warn({ race: race.id, err: error }, 'race result could not be saved');
    }
  }

  private requireRace(): Race {
    if (!this.race) throw new RaceControlError(404, 'no race: make one first (cars and laps)');
    return this.race;
  }

  private sendReset(car: string, fields: FieldsOf<'reset'>): void {
    this.resets[fields.to]++;
    this.options.sinks.reset(car, fields);
  }

  private emit(): void {
    // a view is built only for someone to see it (a crossing storm is bounded, but not free)
    if (this.listeners.size === 0) return;
    const view = this.current();
    for (const listener of this.listeners) listener(view);
  }
}
