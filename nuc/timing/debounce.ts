/**
 * From a sensor's edges to crossings, as pure state. A car in a break beam or on a pressure strip
 * makes the line active for a moment, with bounces (contact bounce, the beam flickering at the car's
 * edges, a strip pressed by each axle). A crossing is the first edge into the active level after the
 * line has been quiet (inactive, no edge at all) for `debounceMs`; it is stamped with that edge's
 * kernel time, so debouncing delays nothing. Everything else is a bounce, counted.
 */

export interface LineEdge {
  /** the line became active (the beam broken, the strip pressed), or went back */
  readonly active: boolean;
  /** the kernel's timestamp of the edge, ms since the epoch (the NUC's clock) */
  readonly atMs: number;
}

export type EdgeVerdict =
  /** a new crossing at this edge's time */
  | 'crossing'
  /** an edge inside a crossing (or too soon after one): not a crossing */
  | 'bounce'
  /** the line went back to inactive */
  | 'release'
  /** an edge stamped before the previous one: the kernel never does so; refused */
  | 'disorder';

export class CrossingDebouncer {
  /** when the line last changed (-Infinity: quiet since start) */
  private lastEdgeMs = -Infinity;

  constructor(
    private readonly debounceMs: number,
    /** the line's level when it was opened */
    private active = false,
  ) {
    if (!(debounceMs > 0)) throw new RangeError(`debounceMs must be positive, got ${debounceMs}`);
  }

  /** Opened while active (a car, or a blocked beam, at the line): quiet counts from this moment. */
  static openedAt(debounceMs: number, active: boolean, atMs: number): CrossingDebouncer {
    const debouncer = new CrossingDebouncer(debounceMs, active);
    if (active) debouncer.lastEdgeMs = atMs;
    return debouncer;
  }

  edge({ active, atMs }: LineEdge): EdgeVerdict {
    if (!Number.isFinite(atMs) || atMs < this.lastEdgeMs) return 'disorder';
    const quietMs = atMs - this.lastEdgeMs;
    const wasActive = this.active;
    this.active = active;
    this.lastEdgeMs = atMs;
    if (!active) return wasActive ? 'release' : 'bounce';
    // into active after a quiet spell is a crossing even when the line was thought active: the release
    // between was lost (the kernel folds edges its interrupt thread has not yet seen into one event)
    return quietMs >= this.debounceMs ? 'crossing' : 'bounce';
  }
}
