/**
 * The drive loop's scheduler: runs a tick at a fixed rate (Donkeycar's default 20 Hz), drift-free
 * (tick n is due at start + n·period, whatever the previous ticks cost), and when a tick overruns
 * it skips the slots that passed instead of bursting to catch up: a late steering decision is
 * worth less than a fresh one.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { LoopTimer, type LoopStats } from '../../protocol/index.ts';

export const DEFAULT_RATE_HZ = 20;
export const MIN_RATE_HZ = 1;
export const MAX_RATE_HZ = 120;

/** Monotonic time in ms and a sleep that returns early (without throwing) when `signal` aborts. */
export interface LoopClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const monotonicClock: LoopClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

export function validateRateHz(rateHz: number): number {
  if (typeof rateHz !== 'number' || !Number.isFinite(rateHz) || rateHz < MIN_RATE_HZ || rateHz > MAX_RATE_HZ) {
    throw new RangeError(`drive loop rateHz must be a number from ${MIN_RATE_HZ} to ${MAX_RATE_HZ}, got ${rateHz}`);
  }
  return rateHz;
}

/** The loop cannot usefully run faster than new frames arrive: the configured rate, capped at the camera's. */
export function driveRateFor(configuredHz: number, cameraFps: number): number {
  return Number.isFinite(cameraFps) && cameraFps > 0 ? Math.min(configuredHz, cameraFps) : configuredHz;
}

export interface NextTick {
  tick: number;
  dueAt: number;
  /** the tick just run finished after the next one was due */
  overrun: boolean;
  /** ticks whose whole slot passed while the last one ran; they are not run */
  skipped: number;
}

/**
 * Which tick to run after tick `done` finished at `now`: the next one if it is still ahead;
 * otherwise the one whose slot `now` falls in (run at once, late), skipping any before it.
 */
export function planNextTick(startedAt: number, periodMs: number, done: number, now: number): NextTick {
  const current = Math.floor((now - startedAt) / periodMs);
  if (current <= done) return { tick: done + 1, dueAt: startedAt + (done + 1) * periodMs, overrun: false, skipped: 0 };
  return { tick: current, dueAt: startedAt + current * periodMs, overrun: true, skipped: current - done - 1 };
}

export interface TickInfo {
  /** index since start: tick n was due at start + n·period */
  tick: number;
  dueAt: number;
  startedAt: number;
  /** how late this tick started (timer slack, or the previous tick overran) */
  lateMs: number;
}

export interface DriveLoopOptions {
  rateHz?: number;
  tick: (info: TickInfo) => void | Promise<void>;
  /** a throwing tick is counted and reported here; the loop keeps running */
  onError?: (error: unknown) => void;
  clock?: LoopClock;
  /** how many recent ticks the p50/p99 are taken over */
  windowSize?: number;
}

export class DriveLoop {
  readonly rateHz: number;
  readonly periodMs: number;
  /** ticks not run because an earlier one overran */
  skipped = 0;
  errors = 0;
  private readonly timer: LoopTimer;
  private readonly clock: LoopClock;
  private readonly tick: DriveLoopOptions['tick'];
  private readonly onError: (error: unknown) => void;
  private controller: AbortController | undefined;
  private runner: Promise<void> | undefined;

  constructor(options: DriveLoopOptions) {
    this.rateHz = validateRateHz(options.rateHz ?? DEFAULT_RATE_HZ);
    this.periodMs = 1000 / this.rateHz;
    const windowSize = options.windowSize ?? 1024;
    if (!Number.isInteger(windowSize) || windowSize < 1) throw new RangeError(`windowSize must be a positive integer, got ${windowSize}`);
    this.timer = new LoopTimer(windowSize);
    this.clock = options.clock ?? monotonicClock;
    this.tick = options.tick;
    this.onError = options.onError ?? (() => {});
  }

  get running(): boolean {
    return this.controller !== undefined;
  }

  start(): void {
    if (this.controller) throw new Error('DriveLoop already running');
    const controller = new AbortController();
    this.controller = controller;
    this.runner = this.run(controller.signal);
  }

  /** Stops after the tick in flight (if any) finishes. */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.runner;
    this.controller = undefined;
    this.runner = undefined;
  }

  /** Work time per tick over the recent window, the total count and the overruns (telemetry's `loop`). */
  stats(): LoopStats {
    return this.timer.snapshot();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    let tick = 0;
    let dueAt = startedAt;
    while (!signal.aborted) {
      let now = this.clock.now();
      if (now >= dueAt && tick > 0) {
        // Running late, no sleep ahead: still let I/O (new frames, controls) in before the next tick.
        await yieldToEventLoop();
        if (signal.aborted) return;
        now = this.clock.now();
      }
      while (now < dueAt) {
        await this.clock.sleep(dueAt - now, signal);
        if (signal.aborted) return;
        now = this.clock.now();
      }
      try {
        await this.tick({ tick, dueAt, startedAt: now, lateMs: now - dueAt });
      } catch (error) {
        this.errors++;
        try {
          this.onError(error);
        } catch {
          // a failing error reporter must not stop the car's loop
        }
      }
      const finishedAt = this.clock.now();
      this.timer.record(Math.max(0, finishedAt - now));
      const next = planNextTick(startedAt, this.periodMs, tick, finishedAt);
      if (next.overrun) this.timer.overrun();
      this.skipped += next.skipped;
      tick = next.tick;
      dueAt = next.dueAt;
    }
  }
}
