/**
 * The simulated world: one car on one track, shared with the other cars whose poses the NUC relays.
 * Each step reads the PWM pulses, moves the car and keeps the race state: cross-track error,
 * off-track detection, lap timing, and contact with the other cars (which slows this car; the other
 * car's own world slows it the same way).
 */
import { DEFAULT_STEERING, DEFAULT_THROTTLE } from '../runtime/index.ts';
import { gridPose, nearestTrackPose } from './grid.ts';
import type { Pose, Track } from './track.ts';
import { DEFAULT_VEHICLE, readDriveInput, stepVehicle } from './vehicle.ts';
import type { DriveCalibration, DriveInput, PulseSource, VehicleParams, VehicleState } from './vehicle.ts';

/** Matches protocol's SimState, plus the lap history and the drive input applied. */
export interface SimTelemetry {
  track: string;
  /** simulated seconds since start or reset */
  t: number;
  x: number;
  y: number;
  heading: number;
  speed: number;
  /** signed cross-track error in metres, positive right of the centerline */
  cte: number;
  offTrack: boolean;
  /** times the car left the road */
  offTrackEvents: number;
  /** metres along the loop from the start line */
  progress: number;
  /** laps completed */
  lap: number;
  /** seconds into the current lap */
  lapTimeS: number;
  lastLapS?: number;
  bestLapS?: number;
  /** every completed lap's time, in order */
  laps: number[];
  /** completed laps during which the car never left the road */
  cleanLaps: number;
  /** the input the physics last read from the pulses */
  angle: number;
  throttle: number;
  /** times the car was put back on the track or on the grid */
  resets: number;
  /** times the car touched another car */
  contacts: number;
}

/** Another car on the shared track, as last reported: extrapolated along its heading from `atS`. */
export interface OtherCar {
  car: string;
  x: number;
  y: number;
  heading: number;
  speed: number;
  /** this world's simulated time (seconds) at which the pose held */
  atS: number;
}

/** Two car centres closer than this touch (a 0.3 m long, 0.2 m wide car, as two circles). */
export const CONTACT_DISTANCE_M = 0.26;
/** A contact takes this share of the speed away, once per touch. */
export const CONTACT_SPEED_LOSS = 0.6;
/** Poses older than this are a car that stopped reporting: it is no longer on the track. */
const OTHER_CAR_STALE_S = 1;

export interface SimWorldOptions {
  track: Track;
  pulses: PulseSource;
  calibration?: DriveCalibration;
  vehicle?: VehicleParams;
  /** where the car starts; the track's start line by default */
  start?: Pose;
  /** longest physics sub-step; larger step() calls are split */
  maxSubstepS?: number;
}

/**
 * A jump in progress larger than this between two physics steps is the nearest point switching to
 * another part of the loop (a shortcut across the infield), not driving: it earns no distance.
 */
const MAX_PROGRESS_JUMP_M = 0.5;

export class SimWorld {
  readonly track: Track;
  private readonly pulses: PulseSource;
  private readonly calibration: DriveCalibration;
  private readonly params: VehicleParams;
  private readonly maxSubstepS: number;
  private state!: VehicleState;
  private input: DriveInput = { angle: 0, throttle: 0 };
  private t = 0;
  private progress = 0;
  private cte = 0;
  private offTrack = false;
  private offTrackEvents = 0;
  /** distance driven forwards along the loop since the start, shortcuts and reversing accounted */
  private distance = 0;
  /** laps completed: the distance crossed this many multiples of the loop length */
  private lapCount = 0;
  private lapStartT = 0;
  private lapLeftTrack = false;
  private lapTimes: number[] = [];
  private cleanLaps = 0;
  private resets = 0;
  private contacts = 0;
  private others: readonly OtherCar[] = [];
  /** cars touching this one now: a touch counts once, however long it lasts */
  private readonly touching = new Set<string>();

  constructor(options: SimWorldOptions) {
    this.track = options.track;
    this.pulses = options.pulses;
    this.calibration = options.calibration ?? { steering: DEFAULT_STEERING, throttle: DEFAULT_THROTTLE };
    this.params = options.vehicle ?? DEFAULT_VEHICLE;
    this.maxSubstepS = options.maxSubstepS ?? 0.005;
    this.reset(options.start);
  }

  /** Puts the car back (at the start line by default), stopped, and clears the race state. */
  reset(start: Pose = this.track.startPose): void {
    this.state = { x: start.x, y: start.y, heading: start.heading, speed: 0 };
    this.t = 0;
    this.offTrackEvents = 0;
    this.lapCount = 0;
    this.lapStartT = 0;
    this.lapLeftTrack = false;
    this.lapTimes = [];
    this.cleanLaps = 0;
    const here = this.track.closest(start.x, start.y);
    this.progress = here.progress;
    // Starting just behind the line counts as a small negative distance, so crossing it is not a lap.
    this.distance = this.track.progressDelta(0, here.progress);
    this.cte = here.cte;
    this.offTrack = Math.abs(here.cte) > this.track.width / 2;
  }

  /** Back on the centre line at the nearest point, stopped, facing the racing direction; the lap goes on. */
  placeOnTrack(): void {
    const pose = nearestTrackPose(this.track, this.state);
    this.state = { ...pose, speed: 0 };
    this.resets++;
    this.updateRace();
  }

  /** On grid slot `slot`, stopped, with the race state cleared (the next line crossing is no lap). */
  placeOnGrid(slot: number): void {
    this.reset(gridPose(this.track, slot));
    this.resets++;
  }

  /** The other cars on the shared track now (this car's own entry left out by the caller). */
  setOthers(others: readonly OtherCar[]): void {
    this.others = others;
  }

  get pose(): Pose {
    return { x: this.state.x, y: this.state.y, heading: this.state.heading };
  }

  get time(): number {
    return this.t;
  }

  /** Advances simulated time by dt seconds, reading the pulses once at the start of the step. */
  step(dt: number): void {
    if (!(dt > 0) || !Number.isFinite(dt)) return;
    this.input = readDriveInput(this.pulses, this.calibration);
    const substeps = Math.ceil(dt / this.maxSubstepS - 1e-9);
    const h = dt / substeps;
    for (let i = 0; i < substeps; i++) {
      this.state = stepVehicle(this.state, this.input, h, this.params);
      this.t += h;
      this.checkContacts();
      this.updateRace();
    }
  }

  private checkContacts(): void {
    if (this.others.length === 0 && this.touching.size === 0) return;
    const limitSq = CONTACT_DISTANCE_M * CONTACT_DISTANCE_M;
    const now = new Set<string>();
    for (const other of this.others) {
      const age = this.t - other.atS;
      if (age > OTHER_CAR_STALE_S) continue;
      const ahead = other.speed * Math.max(0, age);
      const dx = other.x + Math.cos(other.heading) * ahead - this.state.x;
      const dy = other.y + Math.sin(other.heading) * ahead - this.state.y;
      if (dx * dx + dy * dy >= limitSq) continue;
      now.add(other.car);
      if (this.touching.has(other.car)) continue;
      this.contacts++;
      this.state = { ...this.state, speed: this.state.speed * (1 - CONTACT_SPEED_LOSS) };
    }
    this.touching.clear();
    for (const car of now) this.touching.add(car);
  }

  private updateRace(): void {
    const here = this.track.closest(this.state.x, this.state.y);
    const delta = this.track.progressDelta(this.progress, here.progress);
    if (Math.abs(delta) <= MAX_PROGRESS_JUMP_M) this.distance += delta;
    this.progress = here.progress;
    this.cte = here.cte;
    const off = Math.abs(here.cte) > this.track.width / 2;
    if (off && !this.offTrack) this.offTrackEvents++;
    if (off) this.lapLeftTrack = true;
    this.offTrack = off;
    // Only a new high of completed loops counts: reversing over the line and driving on again does not.
    const completed = Math.floor(this.distance / this.track.length);
    if (completed > this.lapCount) {
      this.lapCount = completed;
      this.lapTimes.push(this.t - this.lapStartT);
      if (!this.lapLeftTrack) this.cleanLaps++;
      this.lapStartT = this.t;
      this.lapLeftTrack = off;
    }
  }

  telemetry(): SimTelemetry {
    const laps = [...this.lapTimes];
    const telemetry: SimTelemetry = {
      track: this.track.name,
      t: this.t,
      x: this.state.x,
      y: this.state.y,
      heading: this.state.heading,
      speed: this.state.speed,
      cte: this.cte,
      offTrack: this.offTrack,
      offTrackEvents: this.offTrackEvents,
      progress: this.progress,
      lap: this.lapCount,
      lapTimeS: this.t - this.lapStartT,
      laps,
      cleanLaps: this.cleanLaps,
      angle: this.input.angle,
      throttle: this.input.throttle,
      resets: this.resets,
      contacts: this.contacts,
    };
    if (laps.length > 0) {
      telemetry.lastLapS = laps[laps.length - 1]!;
      telemetry.bestLapS = Math.min(...laps);
    }
    return telemetry;
  }
}
