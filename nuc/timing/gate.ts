/**
 * The timing gate's decisions, without I/O: the sensor's edges (debounced, bounded, assigned to a
 * car when the poses allow) and the simulated cars' lap counts become crossings, each counted by
 * what happened to it. The service feeds it from the GPIO helper and the bus and publishes what it emits.
 */
import type { CarPose, CrossingSource, SimState } from '../../protocol/index.ts';
import type { TimingConfig } from '../../runtime/index.ts';
import { assignCar, type Assignment, type KnownPose, type StartLine } from './assign-car.ts';
import { CrossingDebouncer, type LineEdge } from './debounce.ts';
import { SimLapCrossings } from './sim-laps.ts';
import { StormLimit } from './storm-limit.ts';

export interface Crossing {
  gate: string;
  atMs: number;
  source: CrossingSource;
  car?: string;
}

export const GATE_COUNTERS = [
  'gpio_edges',
  'gpio_bounces',
  'gpio_disorder',
  'gpio_crossings',
  'gpio_storm_refused',
  'gpio_assigned',
  'gpio_unassigned_no_poses',
  'gpio_unassigned_none_near',
  'gpio_unassigned_ambiguous',
  'sim_crossings',
  'sim_lap_jumps',
  'sim_storm_refused',
] as const;
export type GateCounter = (typeof GATE_COUNTERS)[number];

/** Cars whose poses are kept for the assignment (the shared track carries at most this many). */
const MAX_POSES = 64;

export class TimingGate {
  readonly counts = Object.fromEntries(GATE_COUNTERS.map((name) => [name, 0])) as Record<GateCounter, number>;
  private debouncer: CrossingDebouncer;
  private readonly gpioStorm: StormLimit;
  private readonly simStorms = new Map<string, StormLimit>();
  private readonly simLaps = new SimLapCrossings();
  private readonly poses = new Map<string, KnownPose>();

  constructor(
    private readonly config: TimingConfig,
    /** the track's start line, for naming the car at a sensor crossing; undefined: never named */
    private readonly line: StartLine | undefined,
    private readonly emit: (crossing: Crossing) => void,
  ) {
    this.debouncer = new CrossingDebouncer(config.gpio.debounceMs);
    this.gpioStorm = new StormLimit(config.gpio.maxPerMinute);
  }

  /** The line was (re)opened at this level. */
  lineOpened(active: boolean, atMs: number): void {
    this.debouncer = CrossingDebouncer.openedAt(this.config.gpio.debounceMs, active, atMs);
  }

  edge(edge: LineEdge): void {
    this.counts.gpio_edges++;
    const verdict = this.debouncer.edge(edge);
    if (verdict.kind === 'bounce') this.counts.gpio_bounces++;
    if (verdict.kind === 'disorder') this.counts.gpio_disorder++;
    if (verdict.kind !== 'crossing') return;
    if (!this.gpioStorm.accept(verdict.atMs)) {
      this.counts.gpio_storm_refused++;
      return;
    }
    this.counts.gpio_crossings++;
    const assignment = this.assign(verdict.atMs);
    if (assignment.car !== undefined) this.counts.gpio_assigned++;
    else this.counts[`gpio_unassigned_${assignment.reason.replace('-', '_')}` as GateCounter]++;
    this.emit({ gate: this.config.gate, atMs: verdict.atMs, source: 'gpio', ...(assignment.car !== undefined ? { car: assignment.car } : {}) });
  }

  /** A known car's telemetry, as the NUC received it. */
  telemetry(car: string, sim: SimState, receivedAtMs: number): void {
    if (!this.config.sim) return;
    const verdict = this.simLaps.observe(car, { lap: sim.lap, lapTimeS: sim.lapTimeS }, receivedAtMs);
    if (verdict.kind === 'jump') this.counts.sim_lap_jumps++;
    if (verdict.kind !== 'crossing') return;
    let storm = this.simStorms.get(car);
    if (!storm) {
      if (this.simStorms.size >= MAX_POSES) this.simStorms.clear();
      storm = new StormLimit(this.config.gpio.maxPerMinute);
      this.simStorms.set(car, storm);
    }
    if (!storm.accept(verdict.atMs)) {
      this.counts.sim_storm_refused++;
      return;
    }
    this.counts.sim_crossings++;
    this.emit({ gate: this.config.gate, atMs: verdict.atMs, source: 'sim', car });
  }

  /** The shared track's poses (`nuc/track/poses`), received at `receivedAtMs`. */
  trackPoses(cars: readonly CarPose[], receivedAtMs: number): void {
    this.poses.clear();
    for (const pose of cars.slice(0, MAX_POSES)) {
      this.poses.set(pose.car, { car: pose.car, x: pose.x, y: pose.y, heading: pose.heading, speed: pose.speed, atMs: receivedAtMs - pose.ageMs });
    }
  }

  forgetCar(car: string): void {
    this.simLaps.forget(car);
    this.simStorms.delete(car);
  }

  private assign(atMs: number): Assignment {
    if (this.config.assign === 'none' || !this.line) return { car: undefined, reason: 'no-poses' };
    return assignCar(this.line, [...this.poses.values()], atMs, this.config.assignWithinM);
  }
}
