/**
 * Control over several TCP connections at once ("lanes"), merged so that each control is applied
 * once, as soon as its first copy arrives, and never after a newer one.
 *
 * Why: on a lossy link a lost TCP segment holds back everything behind it on that connection until
 * the retransmission (Linux's minimum RTO is 200 ms). The NUC proxy sends every control to each of
 * the car's lanes, and each lane is its own TCP connection, so a segment lost on one lane holds
 * back only that lane: another one usually carries the same control on time.
 *
 * Order: every lane carries the same sequence of controls, each in order (TCP). A control is new
 * when no lane has delivered it yet; it is forwarded only from a lane whose previous control is the
 * newest one forwarded (that lane is at the head, so nothing newer can have gone before it). A new
 * control from a lane that is not at the head (just connected, or it missed controls the others
 * carried) is held back as `behind`: the head lane brings it in order, or, once nothing has been
 * forwarded for `resyncMs` (the other lanes are gone), the lane takes over. Copies are recognised by
 * their encoded topic and header (the sender's seq and ts make each one distinct), remembered for
 * the last `window` controls: bounded memory whatever arrives.
 *
 * Pure: the caller passes the time.
 */

export type LaneVerdict = 'forward' | 'duplicate' | 'behind';

export interface ControlLanesOptions {
  lanes: number;
  /** after this long without a forwarded control, a lane that is not at the head takes over */
  resyncMs?: number;
  /** how many recent controls are remembered to recognise copies */
  window?: number;
}

export const DEFAULT_RESYNC_MS = 500;
export const DEFAULT_WINDOW = 512;
/**
 * A copy this much later than the first was held back on its connection: the link's jitter moves
 * copies by ±10 ms, a retransmission by an RTT or more (RACK or a tail-loss probe: ~2 RTTs, the RTO: 200 ms).
 */
export const HELD_BACK_MS = 40;

export interface ControlLaneCounters {
  forwarded: number;
  duplicates: number;
  behind: number;
  /** controls forwarded from each lane: how often each one was first */
  firstBy: number[];
  /** copies on each lane that came HELD_BACK_MS or more after the first: what that lane alone would have delayed */
  heldBackOn: number[];
}

export class ControlLanes {
  /** recent controls, each with when its first copy came */
  private readonly seen = new Map<string, number>();
  private readonly previous: Array<string | undefined>;
  private head: string | undefined;
  private headAt = Number.NEGATIVE_INFINITY;
  private readonly resyncMs: number;
  private readonly window: number;
  readonly counters: ControlLaneCounters;

  constructor(options: ControlLanesOptions) {
    const { lanes } = options;
    if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`control lanes must be a positive integer, got ${lanes}`);
    this.resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
    this.window = options.window ?? DEFAULT_WINDOW;
    if (!Number.isInteger(this.window) || this.window < 1) throw new RangeError(`control lanes window must be a positive integer, got ${this.window}`);
    this.previous = Array.from({ length: lanes }, () => undefined);
    const perLane = () => Array.from({ length: lanes }, () => 0);
    this.counters = { forwarded: 0, duplicates: 0, behind: 0, firstBy: perLane(), heldBackOn: perLane() };
  }

  /**
   * A control arrived on `lane`, identified by `id` (its encoded topic and header). `urgent` (an
   * emergency stop) is forwarded whenever it is new: latching a stop late or twice is safe.
   */
  take(lane: number, id: string, now: number, urgent = false): LaneVerdict {
    if (!Number.isInteger(lane) || lane < 0 || lane >= this.previous.length) throw new RangeError(`no control lane ${lane}`);
    const previous = this.previous[lane];
    this.previous[lane] = id;
    const firstAt = this.seen.get(id);
    if (firstAt !== undefined) {
      this.counters.duplicates++;
      if (now - firstAt >= HELD_BACK_MS) this.counters.heldBackOn[lane]!++;
      return 'duplicate';
    }
    const atHead = previous === this.head;
    if (!atHead && !urgent && now - this.headAt < this.resyncMs) {
      this.counters.behind++;
      return 'behind';
    }
    this.remember(id, now);
    this.head = id;
    this.headAt = now;
    this.counters.forwarded++;
    this.counters.firstBy[lane]!++;
    return 'forward';
  }

  private remember(id: string, now: number): void {
    this.seen.set(id, now);
    if (this.seen.size > this.window) {
      // a Map iterates in insertion order: the first is the oldest
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
  }
}
