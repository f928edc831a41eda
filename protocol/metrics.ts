/** Counters and loop timing every service keeps and publishes in its `metrics` message. */
import type { CountersSnapshot, LoopStats } from './messages.ts';
import type { DropReason } from './codec.ts';

export class BusCounters {
  in = 0;
  out = 0;
  dropped = 0;
  readonly droppedBy: Record<string, number> = {};

  drop(reason: DropReason | string): void {
    this.dropped++;
    this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + 1;
  }

  snapshot(): CountersSnapshot {
    return { in: this.in, out: this.out, dropped: this.dropped, droppedBy: { ...this.droppedBy } };
  }
}

/** Percentile of an ascending-sorted array (nearest rank); 0 when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

/** Timing of a repeating loop over a bounded window of recent iterations. */
export class LoopTimer {
  private readonly window: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;
  overruns = 0;
  maxMs = 0;

  constructor(windowSize = 1024) {
    this.window = new Float64Array(windowSize);
  }

  record(ms: number): void {
    this.window[this.next] = ms;
    this.next = (this.next + 1) % this.window.length;
    this.filled = Math.min(this.filled + 1, this.window.length);
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  overrun(): void {
    this.overruns++;
  }

  snapshot(): LoopStats {
    const recent = this.window.slice(0, this.filled).sort();
    return {
      count: this.count,
      overruns: this.overruns,
      p50Ms: round3(percentile(recent, 50)),
      p99Ms: round3(percentile(recent, 99)),
      maxMs: round3(this.maxMs),
    };
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** What a gauge may be called: it becomes part of a Prometheus metric name on the NUC. */
const GAUGE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export function isGaugeName(name: string): boolean {
  return GAUGE_NAME.test(name);
}

/** Everything one service reports about itself. */
export class ServiceMetrics {
  readonly counters = new BusCounters();
  private readonly loops = new Map<string, { snapshot(): LoopStats }>();
  private readonly gauges = new Map<string, () => number>();

  loop(name: string): LoopTimer {
    const existing = this.loops.get(name);
    if (existing instanceof LoopTimer) return existing;
    const timer = new LoopTimer();
    this.loops.set(name, timer);
    return timer;
  }

  /** Publishes the stats of a loop that keeps its own timer (e.g. the drive loop). */
  addLoop(name: string, source: { snapshot(): LoopStats }): void {
    this.loops.set(name, source);
  }

  /** A value read when metrics are published, e.g. a queue length or a lost-message count. */
  gauge(name: string, read: () => number): void {
    if (!isGaugeName(name)) throw new RangeError(`gauge name ${JSON.stringify(name)} must be 1-63 of a-z 0-9 _, starting with a letter`);
    this.gauges.set(name, read);
  }

  loopSnapshots(): Record<string, LoopStats> {
    return Object.fromEntries([...this.loops].map(([name, timer]) => [name, timer.snapshot()]));
  }

  gaugeValues(): Record<string, number> {
    return Object.fromEntries([...this.gauges].map(([name, read]) => [name, read()]));
  }
}
