/**
 * The actuator's decisions, free of timers and I/O: the caller passes the time in. Latest valid
 * command wins; silence for failsafeMs brings the throttle to neutral; estop latches neutral
 * throttle until cleared. Steering is held at the last angle in both cases (a servo snapping to
 * centre mid-corner is a surprise; a coasting car is not).
 *
 * A command is stale when an earlier one of the same sending process had the same or a higher seq.
 * The process is its generation and its instance (when it started): a pilot restarted after a crash
 * counts its seq from 0 again, and its commands are fresh at once, while a command from an instance
 * older than the newest one seen for that generation is always stale.
 */
import { clampUnit } from '../../runtime/index.ts';

export type DriveSource = 'user' | 'pilot';

/** The fields of a `car/<id>/drive` message the actuator uses. */
export interface DriveCommand {
  seq: number;
  ts: number;
  gen: number;
  angle: number;
  throttle: number;
  source: DriveSource;
  frameSeq: number;
  /** the sending process's start (ms since the car booted); absent from senders that predate it: 0 */
  instance?: number | undefined;
}

export type TargetReason = 'command' | 'failsafe' | 'estop' | 'idle';

export interface DriveTarget {
  angle: number;
  throttle: number;
  reason: TargetReason;
  /** the command the angle came from, if any */
  command: DriveCommand | undefined;
}

export type SubmitResult = 'accepted' | 'stale' | 'other-gen' | 'rejected';

export interface ActuatorCounters {
  accepted: number;
  ignoredStale: number;
  /** times a newer instance of a generation took over (a restarted pilot) */
  newInstances: number;
  ignoredGen: number;
  rejected: number;
  failsafeTrips: number;
}

export interface ActuatorCoreOptions {
  /** default 250 */
  failsafeMs?: number;
  /** when set, only commands of this generation are accepted */
  activeGen?: number;
}

export const DEFAULT_FAILSAFE_MS = 250;
/** Generations remembered for stale-seq filtering; gens change only on hand-overs. */
const REMEMBERED_GENS = 8;

/** The newest sending process seen for a generation, and its last accepted seq. */
interface LastSent {
  instance: number;
  seq: number;
}

export class ActuatorCore {
  readonly failsafeMs: number;
  private gen: number | undefined;
  private latest: DriveCommand | undefined;
  private latestAt = Number.NEGATIVE_INFINITY;
  private readonly lastByGen = new Map<number, LastSent>();
  private latched = false;
  /** set by clearEstop: commands from before it never re-apply throttle */
  private awaitingFresh = false;
  private inFailsafe = false;
  private readonly count: ActuatorCounters = {
    accepted: 0,
    ignoredStale: 0,
    newInstances: 0,
    ignoredGen: 0,
    rejected: 0,
    failsafeTrips: 0,
  };

  constructor(options: ActuatorCoreOptions = {}) {
    const failsafeMs = options.failsafeMs ?? DEFAULT_FAILSAFE_MS;
    if (!Number.isFinite(failsafeMs) || failsafeMs <= 0) {
      throw new RangeError(`failsafeMs must be a positive number of milliseconds, got ${failsafeMs}`);
    }
    this.failsafeMs = failsafeMs;
    this.setActiveGen(options.activeGen);
  }

  get counters(): Readonly<ActuatorCounters> {
    return { ...this.count };
  }

  get estopped(): boolean {
    return this.latched;
  }

  get activeGen(): number | undefined {
    return this.gen;
  }

  /** Restricts accepted commands to one pilot generation (undefined: any). */
  setActiveGen(gen: number | undefined): void {
    if (gen !== undefined && !Number.isSafeInteger(gen)) {
      throw new RangeError(`activeGen must be an integer, got ${gen}`);
    }
    this.gen = gen;
  }

  submit(command: DriveCommand, nowMs: number): SubmitResult {
    if (!isValidCommand(command)) {
      this.count.rejected++;
      return 'rejected';
    }
    if (this.gen !== undefined && command.gen !== this.gen) {
      this.count.ignoredGen++;
      return 'other-gen';
    }
    const instance = command.instance ?? 0;
    const last = this.lastByGen.get(command.gen);
    if (last !== undefined && (instance < last.instance || (instance === last.instance && command.seq <= last.seq))) {
      this.count.ignoredStale++;
      return 'stale';
    }
    if (last !== undefined && instance > last.instance) this.count.newInstances++;
    this.remember(command.gen, { instance, seq: command.seq });
    this.latest = { ...command, angle: clampUnit(command.angle), throttle: clampUnit(command.throttle) };
    this.latestAt = nowMs;
    this.awaitingFresh = false;
    this.count.accepted++;
    return 'accepted';
  }

  /** The output the actuator should hold at `nowMs`. */
  tick(nowMs: number): DriveTarget {
    const command = this.latest;
    const angle = command?.angle ?? 0;
    if (this.latched) return { angle, throttle: 0, reason: 'estop', command };
    if (command === undefined || this.awaitingFresh) {
      return { angle, throttle: 0, reason: 'idle', command };
    }
    if (nowMs - this.latestAt >= this.failsafeMs) {
      if (!this.inFailsafe) this.count.failsafeTrips++;
      this.inFailsafe = true;
      return { angle, throttle: 0, reason: 'failsafe', command };
    }
    this.inFailsafe = false;
    return { angle, throttle: command.throttle, reason: 'command', command };
  }

  estop(): void {
    this.latched = true;
  }

  /** Releases the latch; throttle returns only with a command received after this call. */
  clearEstop(): void {
    if (!this.latched) return;
    this.latched = false;
    this.awaitingFresh = true;
    this.inFailsafe = false;
  }

  private remember(gen: number, last: LastSent): void {
    this.lastByGen.delete(gen);
    this.lastByGen.set(gen, last);
    if (this.lastByGen.size > REMEMBERED_GENS) {
      const oldest = this.lastByGen.keys().next().value;
      if (oldest !== undefined) this.lastByGen.delete(oldest);
    }
  }
}

function isValidCommand(command: unknown): command is DriveCommand {
  if (typeof command !== 'object' || command === null) return false;
  const c = command as Record<string, unknown>;
  return (
    isFiniteNumber(c.seq) &&
    isFiniteNumber(c.ts) &&
    isFiniteNumber(c.gen) &&
    isFiniteNumber(c.angle) &&
    isFiniteNumber(c.throttle) &&
    isFiniteNumber(c.frameSeq) &&
    (c.instance === undefined || isFiniteNumber(c.instance)) &&
    (c.source === 'user' || c.source === 'pilot')
  );
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
