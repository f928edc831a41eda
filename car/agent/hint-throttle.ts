/**
 * The NUC's release hints wake the agent's poll at most once per `car.agent.minHintIntervalMs`: the
 * first at once, any more within the interval folded into one wake at its end. A hint only says
 * "poll now" (the poll verifies everything), so folding loses nothing, and a flood of hints cannot
 * make the car poll faster.
 */
export class HintThrottle {
  private lastWakeAt = Number.NEGATIVE_INFINITY;
  private pending: NodeJS.Timeout | undefined;
  /** hints that did not wake the poll by themselves */
  folded = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly wake: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  hint(): void {
    if (this.pending) {
      this.folded++;
      return;
    }
    const wait = this.lastWakeAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.folded++;
    this.pending = setTimeout(() => this.fire(), wait);
  }

  stop(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
  }

  private fire(): void {
    this.pending = undefined;
    this.lastWakeAt = this.now();
    this.wake();
  }
}
