/**
 * The shared track's live side on the NUC: the pose table fed by telemetry, `nuc/track/poses`
 * published at `posesHz` (every car's pose and the race), resets sent to cars, and the one race
 * at a time: made on the grid, started, followed, and its result saved when it finishes.
 */
import type { BusMessage, FieldsOf } from '../../protocol/index.ts';
import type { TrackGeometry } from './geometry.ts';
import { PoseTable } from './pose-table.ts';
import { Race, RaceError, type RaceView } from './race.ts';
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
  log?: { info(fields: object, message: string): void; warn(fields: object, message: string): void };
  now?: () => number;
}

/** Why a request was refused, with the HTTP status that says so. */
export class RaceControlError extends Error {
  override name = 'RaceControlError';
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface NewRace {
  cars: string[];
  laps: number;
}

type Listener = (view: RaceView | undefined) => void;

/** How often listeners get the standings while a race is on (the poses go out faster). */
const STANDINGS_HZ = 5;

export class RaceControl {
  readonly table: PoseTable;
  private race: Race | undefined;
  private saved = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;
  private ticks = 0;
  /** resets sent, by where to */
  readonly resets = { track: 0, grid: 0 };

  constructor(private readonly options: RaceControlOptions) {
    this.table = new PoseTable(options.geometry.name);
    this.now = options.now ?? Date.now;
  }

  get geometry(): TrackGeometry {
    return this.options.geometry;
  }

  ingest(message: BusMessage): void {
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

  current(): RaceView | undefined {
    this.settle(this.now());
    return this.race?.view(this.now());
  }

  createRace(request: NewRace): RaceView {
    const now = this.now();
    if (this.race && this.race.phase(now) !== 'finished') throw new RaceControlError(409, `race ${this.race.id} is still ${this.race.phase(now)}: finish or close it first`);
    const missing = request.cars.filter((car) => !this.table.get(car));
    if (missing.length) throw new RaceControlError(404, `not on the ${this.geometry.name} track: car ${missing.join(', ')} (only simulated cars on this track can race)`);
    let race: Race;
    try {
      const id = this.options.store?.create(this.geometry.name, request.laps, new Date(now)) ?? now;
      race = new Race({ id, cars: request.cars, laps: request.laps, track: this.geometry, lightMs: this.options.lightMs, finishGraceMs: this.options.finishGraceMs, now });
    } catch (error) {
      if (error instanceof RangeError) throw new RaceControlError(409, error.message);
      throw error;
    }
    this.race = race;
    this.saved = false;
    // The hold goes out before the resets, so no pilot drives off the grid slot it lands on.
    this.options.sinks.poses(this.posesFields(now));
    request.cars.forEach((car, slot) => {
      race.sentToGrid(car, this.table.get(car)?.sim.resets);
      this.sendReset(car, { to: 'grid', slot });
    });
    this.options.log?.info({ race: race.id, cars: request.cars, laps: request.laps }, 'race on the grid');
    this.emit();
    return race.view(now);
  }

  startRace(): RaceView {
    const race = this.requireRace();
    try {
      race.start(this.now());
    } catch (error) {
      if (error instanceof RaceError) throw new RaceControlError(409, error.message);
      throw error;
    }
    this.options.log?.info({ race: race.id }, 'start lights');
    this.emit();
    return race.view(this.now());
  }

  /** Ends the current race (abandoned unless it finished) and lets every car drive again. */
  closeRace(): void {
    const race = this.requireRace();
    this.options.log?.info({ race: race.id, phase: race.phase(this.now()) }, 'race closed');
    this.race = undefined;
    this.emit();
  }

  resetCar(car: string): void {
    if (!this.table.get(car)) throw new RaceControlError(404, `car ${car} has no simulator on the ${this.geometry.name} track to reset`);
    this.sendReset(car, { to: 'track' });
  }

  results(limit: number): RaceResult[] {
    return this.options.store?.results(limit) ?? [];
  }

  /** Standings while a race is on, and `undefined` when it closes. */
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

  /**
   * Saves the result the moment the race is over, so whoever sees it finished (the API, the live
   * views) finds it in the record; true when it did so now.
   */
  private settle(now: number): boolean {
    const race = this.race;
    if (!race || this.saved || race.phase(now) !== 'finished') return false;
    this.saved = true;
    this.save(race, now);
    this.emit();
    return true;
  }

  private save(race: Race, now: number): void {
    const view = race.view(now);
    this.options.log?.info({ race: race.id, standings: view.standings.map((s) => `${s.position}. ${s.car} ${s.status}`) }, 'race finished');
    try {
      this.options.store?.saveResult(race.id, new Date(race.startedAt ?? now), new Date(race.endedAt ?? now), view.standings);
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
    const view = this.current();
    for (const listener of this.listeners) listener(view);
  }
}
