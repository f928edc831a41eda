/**
 * Latest wins: while one job runs, only the newest waiting input is kept; anything it replaces is
 * dropped and counted, never queued. Video that arrives faster than it can be composited therefore
 * shows the freshest frame with bounded delay instead of falling further and further behind.
 */

export interface LatestWinsStats {
  offered: number;
  completed: number;
  /** inputs replaced by a newer one before they were started */
  dropped: number;
  failed: number;
}

export interface LatestWinsOptions<In, Out> {
  work: (input: In) => Promise<Out>;
  /** awaited before the next input starts, so a slow sink also sheds load rather than piling up */
  onOutput: (output: Out, input: In) => void | Promise<void>;
  /** a failed input is counted and reported, and the worker carries on with the next */
  onError?: (error: unknown, input: In) => void;
}

export class LatestWins<In, Out> {
  private pending: { input: In } | undefined;
  private running = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly counts: LatestWinsStats = { offered: 0, completed: 0, dropped: 0, failed: 0 };

  constructor(private readonly options: LatestWinsOptions<In, Out>) {}

  /** Hands over a new input; returns at once. */
  offer(input: In): void {
    if (this.closed) return;
    this.counts.offered++;
    if (this.pending) this.counts.dropped++;
    this.pending = { input };
    if (!this.running) void this.drain();
  }

  stats(): LatestWinsStats {
    return { ...this.counts };
  }

  get busy(): boolean {
    return this.running;
  }

  /** Resolves once nothing is running or waiting. */
  idle(): Promise<void> {
    if (!this.running && !this.pending) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops the waiting input and accepts no more; resolves when the running job has finished. */
  close(): Promise<void> {
    this.closed = true;
    if (this.pending) {
      this.counts.dropped++;
      this.pending = undefined;
    }
    return this.idle();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      let next = this.pending;
      while (next) {
        this.pending = undefined;
        await this.runOne(next.input);
        next = this.pending;
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async runOne(input: In): Promise<void> {
    try {
      const output = await this.options.work(input);
      this.counts.completed++;
      await this.options.onOutput(output, input);
    } catch (error) {
      this.counts.failed++;
      try {
        this.options.onError?.(error, input);
      } catch {
        // An error reporter that throws must not stop the worker.
      }
    }
  }
}
