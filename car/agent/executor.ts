/**
 * The small executor: observe, ask the planner for one step, perform its I/O through AgentEffects
 * with a time limit, journal the resulting state, report it. All decisions live in the planner; a
 * hung effect becomes a 'timeout' failure, so the planner's rules (rollback, retry) apply to hangs.
 */
import type { JournalStore } from './journal.ts';
import {
  DEFAULT_PLANNER_CONFIG,
  plan,
  planFailure,
  recover,
  type Failure,
  type Observations,
  type PlannerConfig,
  type ServiceHealth,
  type ServiceInstance,
  type SlotRef,
  type Step,
} from './planner.ts';
import type { ModelRelease, Release, ReleaseFile } from './release.ts';
import { initialState, isUpdating, type AgentState, type Slot } from './state.ts';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** A started service process. `healthy` resolves on the process's own positive signal. */
export interface RunningService {
  healthy: Promise<void>;
  exited: Promise<ExitInfo>;
}

/** How the car moves, as the agent sees it before a restart that would interrupt driving. */
export interface CarMotion {
  /** m/s, absolute */
  speed: number;
  /** the throttle last applied, [-1, 1] */
  throttle: number;
  /** how long the car has been at rest without a break (see atRest); 0 while it moves */
  stoppedForMs: number;
}

/** What goes to `car/<id>/agent` (the AgentHeader fields). */
export interface AgentReport {
  release: string;
  slot: Slot;
  state: string;
  progress: number;
  error?: string;
}

/** The I/O the agent needs; a service implements it with real processes, tests with fakes. */
export interface AgentEffects {
  /** complete, hash-verified blobs in the store */
  blobsPresent(): Promise<ReadonlySet<string>>;
  freeBytes(): Promise<number>;
  /** fetch and hash-check these blobs, resuming partial files (also after an agent restart) */
  download(blobs: readonly ReleaseFile[], onProgress: (bytesDone: number) => void): Promise<void>;
  /** wipe these slots and delete every stored blob not in keepBlobs */
  deleteUnneeded(slots: readonly SlotRef[], keepBlobs: ReadonlySet<string>): Promise<void>;
  /** replace the slot's contents with these files from the blob store */
  stage(service: string, slot: Slot, files: readonly ReleaseFile[]): Promise<void>;
  /** idempotent: when this instance (name and slot) already runs, return it rather than start a copy */
  startService(instance: ServiceInstance, release: Release): Promise<RunningService>;
  /** idempotent: stopping an instance that does not run succeeds */
  stopService(instance: ServiceInstance): Promise<void>;
  /** make the actuator follow only this generation's drive commands */
  switchGeneration(gen: number): Promise<void>;
  /**
   * load this model into the running pilot between two frames (undefined: no model); with
   * `confirm`, resolve only once the pilot reports it drives on it (the model's positive health
   * signal) and throw when it does not in time
   */
  swapModel(model: ModelRelease | undefined, options?: { confirm?: boolean }): Promise<void>;
  carState(): Promise<CarMotion>;
  report(report: AgentReport): void;
}

export interface ExecutorOptions {
  effects: AgentEffects;
  journal: JournalStore;
  /** the newest verified release (from TUF), undefined when unknown */
  target: () => Release | undefined;
  config?: Partial<PlannerConfig>;
  /** the state when the journal is empty: the car as installed */
  initial?: AgentState;
  /** limit for one step's I/O (a hang past it is a failure); default 60 s */
  stepTimeoutMs?: number;
  /** limit for a download without progress; default 60 s */
  downloadStallMs?: number;
  /** limit for gathering observations; default 5 s */
  observeTimeoutMs?: number;
  /** re-plan at least this often while waiting; default 1 s */
  pollMs?: number;
  /** how long the car must have been at rest before a service that owns hardware is replaced; default 1 s */
  stoppedForMs?: number;
  clock?: () => number;
  /** every performed step, for logs */
  onStep?: (step: Step, before: AgentState, after: AgentState) => void;
}

export class StepTimeout extends Error {
  override name = 'StepTimeout';
}

export class InsufficientSpace extends Error {
  override name = 'InsufficientSpace';
}

/** At rest this instant: slower than 5 cm/s with the throttle at neutral. */
export function atRest(speed: number, throttle: number): boolean {
  return Math.abs(speed) < 0.05 && Math.abs(throttle) < 0.05;
}

/**
 * Stopped for an update that takes the actuator or the camera away: at rest, and for long enough
 * that it is not a moment's pause (a failsafe blip, a slow corner) in the middle of a drive.
 */
export function isCarStopped(car: CarMotion, stoppedForMs = 1000): boolean {
  return atRest(car.speed, car.throttle) && car.stoppedForMs >= stoppedForMs;
}

function firstSlot(slots: Record<string, Slot>): Slot | undefined {
  // the pilot's slot when it has one: it is the service the driver notices
  return slots.pilot ?? slots[Object.keys(slots).sort()[0] ?? ''];
}

export function reportOf(state: AgentState, progress?: number): AgentReport {
  const updating = state.phase !== 'idle' && state.phase !== 'failed';
  const release = updating ? state.candidate.release : state.current.release;
  const slot = (updating ? firstSlot(state.candidate.slots) : undefined) ?? firstSlot(state.current.slots) ?? 'A';
  const report: AgentReport = {
    release: release ? `${release.label || 'release'} v${release.version}` : 'none',
    slot,
    state: state.phase,
    progress: progress ?? (state.phase === 'idle' ? 1 : 0),
  };
  if (state.lastError !== undefined) report.error = state.lastError.slice(0, 2000);
  return report;
}

/** Races a promise against a timer the caller can push back (a download that makes progress). */
function withDeadline<T>(work: (touch: () => void) => Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => reject(new StepTimeout(`${what} took longer than ${ms} ms`)), ms);
    };
    arm();
    work(arm).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function failureOf(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof StepTimeout) return { kind: 'timeout', message };
  if (error instanceof InsufficientSpace) return { kind: 'no-space', message };
  return { kind: 'error', message };
}

export class UpdateExecutor {
  private stateNow: AgentState;
  private readonly options: ExecutorOptions;
  private readonly config: PlannerConfig;
  private readonly clock: () => number;
  /** health of the candidate's processes; replaced on every start so late events of old ones are dropped */
  private health: Record<string, ServiceHealth> = {};
  private wakeUp: (() => void) | undefined;

  private constructor(options: ExecutorOptions, state: AgentState) {
    this.options = options;
    this.config = { ...DEFAULT_PLANNER_CONFIG, ...options.config };
    this.clock = options.clock ?? Date.now;
    this.stateNow = state;
  }

  /** Loads the journal, applies `recover` and journals the recovered state if it differs. */
  static async open(options: ExecutorOptions): Promise<UpdateExecutor> {
    const loaded = await options.journal.load();
    const config = { ...DEFAULT_PLANNER_CONFIG, ...options.config };
    const start = loaded ? recover(loaded, config) : (options.initial ?? initialState());
    const executor = new UpdateExecutor(options, start);
    if (!loaded || JSON.stringify(start) !== JSON.stringify(loaded)) await executor.journal(start);
    else executor.options.effects.report(reportOf(start));
    return executor;
  }

  get state(): AgentState {
    return this.stateNow;
  }

  /** Re-plan now (a hint on the bus, a new target): cuts a wait short. */
  wake(): void {
    this.wakeUp?.();
  }

  /** One plan → perform → journal round; returns the step taken. */
  async runOnce(): Promise<Step> {
    const before = this.stateNow;
    const observations = await this.observe();
    const { step, next } = plan(before, this.options.target(), observations, this.config);
    if (step.kind === 'noop') return step;
    if (step.kind === 'wait') {
      if (JSON.stringify(next) !== JSON.stringify(before)) await this.journal(next);
      await this.sleepUntil(step.until);
      return step;
    }
    let after: AgentState;
    try {
      await this.perform(step);
      after = next;
    } catch (error) {
      after = planFailure(before, failureOf(error), this.clock(), this.config);
    }
    await this.journal(after);
    this.options.onStep?.(step, before, after);
    return step;
  }

  /**
   * Runs until nothing is left to do (idle or failed, no newer target), or `signal` aborts.
   * A journal write that fails throws: the agent must restart from the journal on disk.
   */
  async runUntilSettled(signal?: AbortSignal): Promise<AgentState> {
    while (!signal?.aborted) {
      const step = await this.runOnce();
      if (step.kind === 'noop') break;
    }
    return this.stateNow;
  }

  private async journal(state: AgentState): Promise<void> {
    const timeout = this.options.stepTimeoutMs ?? 60_000;
    await withDeadline(() => this.options.journal.save(state), timeout, 'journal write');
    this.stateNow = state;
    if (state.phase === 'idle' || state.phase === 'failed') this.health = {};
    this.options.effects.report(reportOf(state, this.progressOf(state)));
  }

  private progressOf(state: AgentState): number | undefined {
    if (state.phase === 'idle') return 1;
    if (state.phase === 'failed' || state.phase === 'rolling-back') return 0;
    return undefined;
  }

  private async observe(): Promise<Observations> {
    const { effects } = this.options;
    const limit = this.options.observeTimeoutMs ?? 5_000;
    const updating = isUpdating(this.stateNow);
    let carStopped = false;
    if (this.stateNow.phase === 'waiting-for-stop') {
      try {
        const car = await withDeadline(() => effects.carState(), limit, 'car state');
        carStopped = isCarStopped(car, this.options.stoppedForMs);
      } catch {
        carStopped = false; // unknown is not stopped
      }
    }
    let blobsPresent: ReadonlySet<string> = new Set();
    if (updating) {
      try {
        blobsPresent = await withDeadline(() => effects.blobsPresent(), limit, 'blob listing');
      } catch {
        blobsPresent = new Set(); // then the download step asks for everything; the store skips what it has
      }
    }
    return { now: this.clock(), carStopped, blobsPresent, health: { ...this.health } };
  }

  private sleepUntil(until: number | undefined): Promise<void> {
    const poll = this.options.pollMs ?? 1_000;
    const ms = Math.max(0, Math.min(poll, until === undefined ? poll : until - this.clock()));
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async perform(step: Step): Promise<void> {
    const { effects } = this.options;
    const limit = this.options.stepTimeoutMs ?? 60_000;
    const timed = <T>(what: string, work: () => Promise<T>): Promise<T> => withDeadline(work, limit, what);
    switch (step.kind) {
      case 'noop':
      case 'wait':
      case 'transition':
      case 'commit':
        // commit has no I/O of its own: the journal write that follows is the commit point
        return;
      case 'refuse':
        return;
      case 'stop-old':
        for (const instance of step.instances) await timed(`stopping ${instance.name}`, () => effects.stopService(instance));
        return;
      case 'delete':
        return timed('deleting', () => effects.deleteUnneeded(step.slots, new Set(step.keepBlobs)));
      case 'check-space': {
        const free = await timed('free space', () => effects.freeBytes());
        if (free < step.needBytes) throw new InsufficientSpace(`needs ${step.needBytes} bytes, ${free} free`);
        return;
      }
      case 'download':
        return this.download(step.blobs, step.totalBytes);
      case 'stage':
        for (const target of step.targets) await timed(`staging ${target.service}`, () => effects.stage(target.service, target.slot, target.files));
        return;
      case 'start-new':
        return this.startNew(step.instances, step.release);
      case 'switch-generation':
        return timed('switching generation', () => effects.switchGeneration(step.gen));
      case 'swap-model':
        return timed('swapping model', () => effects.swapModel(step.model, { confirm: true }));
      case 'rollback':
        this.health = {};
        for (const instance of step.stop) await timed(`stopping ${instance.name}`, () => effects.stopService(instance));
        if (step.release) {
          const release = step.release;
          for (const instance of step.ensure) await timed(`restarting ${instance.name}`, () => effects.startService(instance, release));
        }
        await timed('switching generation back', () => effects.switchGeneration(step.gen));
        if (step.swapModel) {
          const { model } = step.swapModel;
          await timed('swapping the model back', () => effects.swapModel(model));
        }
        return;
    }
  }

  private download(blobs: readonly ReleaseFile[], totalBytes: number): Promise<void> {
    const stall = this.options.downloadStallMs ?? 60_000;
    const missing = blobs.reduce((sum, blob) => sum + blob.length, 0);
    const already = totalBytes - missing;
    let lastReport = Number.NEGATIVE_INFINITY;
    return withDeadline(
      (touch) =>
        this.options.effects.download(blobs, (bytesDone) => {
          touch();
          const now = this.clock();
          if (now - lastReport < 250 && bytesDone < missing) return;
          lastReport = now;
          const progress = totalBytes > 0 ? Math.min(1, (already + bytesDone) / totalBytes) : 1;
          this.options.effects.report(reportOf(this.stateNow, progress));
        }),
      stall,
      'download (no progress)',
    );
  }

  private async startNew(instances: readonly ServiceInstance[], release: Release): Promise<void> {
    const health: Record<string, ServiceHealth> = {};
    this.health = health;
    const limit = this.options.stepTimeoutMs ?? 60_000;
    for (const instance of instances) {
      health[instance.name] = { status: 'starting' };
      const running = await withDeadline(() => this.options.effects.startService(instance, release), limit, `starting ${instance.name}`);
      running.healthy.then(
        () => {
          if (health[instance.name]?.status === 'starting') health[instance.name] = { status: 'healthy' };
          this.wake();
        },
        (error: unknown) => {
          if (health[instance.name]?.status !== 'exited') health[instance.name] = { status: 'unhealthy', reason: error instanceof Error ? error.message : String(error) };
          this.wake();
        },
      );
      running.exited.then(
        (exit) => {
          health[instance.name] = { status: 'exited', code: exit.code, signal: exit.signal };
          this.wake();
        },
        () => undefined,
      );
    }
  }
}
