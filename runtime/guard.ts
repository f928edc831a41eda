/**
 * The owner of a service's callbacks: every timer, bus handler and background promise a service
 * starts goes through its Guard, which catches what they throw or reject with, logs it and counts
 * it under the loop's name (published as the `faults` gauge and `faults_<loop>` per loop). One bad
 * input or one bug therefore costs one iteration, never the process.
 *
 * `inject` names loops that get an extra handler that always throws, run beside the real one: how a
 * test proves that a fault in that loop is contained (the runner fills it from EDGE_FAULT_INJECT).
 */

export interface GuardLog {
  error(obj: object, msg: string): void;
}

export class InjectedLoopFault extends Error {
  constructor(readonly loop: string) {
    super(`fault injected into ${loop} (EDGE_FAULT_INJECT)`);
    this.name = 'InjectedLoopFault';
  }
}

const LOOP_NAME = /^[a-z][a-z0-9_]{0,40}$/;

export class Guard {
  private readonly counts = new Map<string, number>();
  /** per loop: when its last fault was logged, and how many since went unlogged (one line a second at most, so a flood cannot flood the log) */
  private readonly logged = new Map<string, { at: number; unlogged: number }>();
  private readonly listeners: ((loop: string) => void)[] = [];

  constructor(
    private readonly log: GuardLog,
    private readonly inject: ReadonlySet<string> = new Set(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `fn` every `ms`; a throw or a rejection is one fault, and the timer goes on. Returns the stop function. */
  every(loop: string, ms: number, fn: () => unknown): () => void {
    const timer = setInterval(this.wrap(loop, fn), ms);
    return () => clearInterval(timer);
  }

  /** A callback for a timer, an event or a bus handler: what it throws or rejects with is caught, logged and counted. */
  wrap<A extends unknown[]>(loop: string, fn: (...args: A) => unknown): (...args: A) => void {
    if (!LOOP_NAME.test(loop)) throw new RangeError(`loop name ${JSON.stringify(loop)} must be a-z 0-9 _`);
    const injected = this.inject.has(loop);
    return (...args: A) => {
      if (injected) this.attempt(loop, () => {
        throw new InjectedLoopFault(loop);
      });
      this.attempt(loop, () => fn(...args));
    };
  }

  /** Owns a promise nobody awaits: its rejection is logged and counted. */
  own(loop: string, promise: Promise<unknown>): void {
    promise.catch((error: unknown) => this.fault(loop, error));
  }

  /** Counts a fault caught elsewhere (e.g. the process-wide last resort). */
  fault(loop: string, error: unknown): void {
    this.counts.set(loop, (this.counts.get(loop) ?? 0) + 1);
    const now = this.now();
    const last = this.logged.get(loop);
    if (last && now - last.at < 1000) {
      last.unlogged++;
    } else {
      this.log.error({ err: error, loop, faults: this.faults(loop), unlogged: last?.unlogged ?? 0 }, `${loop} failed; the service carries on`);
      this.logged.set(loop, { at: now, unlogged: 0 });
    }
    for (const listener of this.listeners) listener(loop);
  }

  /** Called once per fault, with the loop's name (the runner registers each loop's gauge on its first fault). */
  onFault(listener: (loop: string) => void): void {
    this.listeners.push(listener);
  }

  faults(loop?: string): number {
    if (loop !== undefined) return this.counts.get(loop) ?? 0;
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  private attempt(loop: string, fn: () => unknown): void {
    try {
      const result = fn();
      if (result instanceof Promise) this.own(loop, result);
    } catch (error) {
      this.fault(loop, error);
    }
  }
}

/** The loops named in EDGE_FAULT_INJECT (comma-separated), for tests that prove faults are contained. */
export function injectedLoops(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env.EDGE_FAULT_INJECT ?? '').split(',').map((name) => name.trim()).filter((name) => name !== ''));
}
