/**
 * From a sensor's edges to crossings, as pure state. A car in a break beam or on a pressure strip
 * makes the line active for a moment, with bounces (contact bounce, the beam flickering at the car's
 * edges, a strip pressed by each axle). Edges closer together than `debounceMs` form one burst; a
 * burst that begins after the line has been quiet and inactive is one crossing, stamped with the
 * kernel's time of the burst's first edge, so debouncing delays nothing. Every other edge is a bounce
 * or the release, counted by the caller.
 *
 * The first edge of a burst may arrive as the wrong kind, or a release may never arrive: for a line
 * watched on both edges the kernel reads the level when its interrupt thread runs, and folds edges
 * that thread has not yet seen into one event. So a burst is a crossing once any active edge of it
 * arrives, and an active edge after a quiet spell starts a new burst even if the line was thought active.
 */

export interface LineEdge {
  /** the line became active (the beam broken, the strip pressed), or went back */
  readonly active: boolean;
  /** the kernel's timestamp of the edge, ms since the epoch (the NUC's clock) */
  readonly atMs: number;
}

export type EdgeVerdict =
  /** a new crossing, at the time of its burst's first edge */
  | { kind: 'crossing'; atMs: number }
  /** an edge inside a crossing's burst (or a lone inactive edge): not a crossing */
  | { kind: 'bounce' }
  /** the line went back to inactive */
  | { kind: 'release' }
  /** an edge stamped before the previous one: the kernel never does so; refused */
  | { kind: 'disorder' };

export class CrossingDebouncer {
  /** when the line last changed (-Infinity: quiet since start) */
  private lastEdgeMs = -Infinity;
  private burstStartMs = -Infinity;
  /** whether the current burst has made its crossing */
  private counted = false;

  constructor(
    private readonly debounceMs: number,
    /** the line's level when it was opened */
    private active = false,
  ) {
    if (!(debounceMs > 0)) throw new RangeError(`debounceMs must be positive, got ${debounceMs}`);
  }

  /** Opened at this level: a car (or a blocked beam) already at the line is no crossing. */
  static openedAt(debounceMs: number, active: boolean, atMs: number): CrossingDebouncer {
    const debouncer = new CrossingDebouncer(debounceMs, active);
    if (active) {
      debouncer.lastEdgeMs = atMs;
      debouncer.burstStartMs = atMs;
      debouncer.counted = true;
    }
    return debouncer;
  }

  edge({ active, atMs }: LineEdge): EdgeVerdict {
    if (!Number.isFinite(atMs) || atMs < this.lastEdgeMs) return { kind: 'disorder' };
    const quiet = atMs - this.lastEdgeMs >= this.debounceMs;
    // a release after a long hold ends the burst it belongs to; anything else after quiet begins one
    if (quiet && (!this.active || active)) {
      this.burstStartMs = atMs;
      this.counted = false;
    }
    const wasActive = this.active;
    this.active = active;
    this.lastEdgeMs = atMs;
    if (active && !this.counted) {
      this.counted = true;
      return { kind: 'crossing', atMs: this.burstStartMs };
    }
    return !active && wasActive ? { kind: 'release' } : { kind: 'bounce' };
  }
}
