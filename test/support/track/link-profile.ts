/**
 * What a link does to each packet, per direction, as `tc qdisc … netem` would: a delay with
 * uniform jitter (order kept, as netem's with a rate), a loss rate, reordering (a reordered packet
 * goes at once, overtaking the delayed ones, as netem's `reorder`), an optional rate limit with a
 * bounded queue, and a partition (everything lost, silently: no FIN, no ICMP). Pure: the caller
 * passes the time and the random numbers.
 */

export interface LinkProfile {
  /** one-way delay, ms */
  delayMs: number;
  /** ± this much, uniformly, ms */
  jitterMs: number;
  /** percent of packets lost */
  lossPct: number;
  /** percent of packets sent at once, ahead of the delayed ones */
  reorderPct: number;
  /** bandwidth, megabit/s; undefined: unlimited */
  rateMbit?: number;
}

/** A clean link: what loopback gives. */
export const CLEAN: LinkProfile = { delayMs: 0, jitterMs: 0, lossPct: 0, reorderPct: 0 };

/** The "track Wi-Fi": 30 ms RTT ± 10 ms jitter, 2 % loss, 1 % reordering (each way: half the RTT and jitter). */
export const TRACK_WIFI: LinkProfile = { delayMs: 15, jitterMs: 5, lossPct: 2, reorderPct: 1 };

/** Packets that would wait longer than this for the rate limit are dropped (a Wi-Fi driver's queue). */
export const MAX_QUEUE_MS = 200;

export type Verdict = { send: true; at: number } | { send: false; reason: 'partition' | 'loss' | 'queue' };

export interface DirectionCounters {
  packets: number;
  bytes: number;
  lost: number;
  partitioned: number;
  queueDrops: number;
  reordered: number;
}

/** One direction of the link. */
export class LinkDirection {
  /** when the last delayed packet goes: later ones never overtake it */
  private lastAt = 0;
  /** when the rate limit has sent everything queued */
  private busyUntil = 0;
  readonly counters: DirectionCounters = { packets: 0, bytes: 0, lost: 0, partitioned: 0, queueDrops: 0, reordered: 0 };

  constructor(
    public profile: LinkProfile,
    public partitioned = false,
  ) {}

  /** When a packet of `bytes` arriving at `now` leaves, or why it never does. `random` is uniform in [0, 1). */
  take(now: number, bytes: number, random: () => number): Verdict {
    this.counters.packets++;
    if (this.partitioned) {
      this.counters.partitioned++;
      return { send: false, reason: 'partition' };
    }
    if (random() * 100 < this.profile.lossPct) {
      this.counters.lost++;
      return { send: false, reason: 'loss' };
    }
    let leaves = now;
    const { rateMbit } = this.profile;
    if (rateMbit !== undefined && rateMbit > 0) {
      const start = Math.max(now, this.busyUntil);
      if (start - now > MAX_QUEUE_MS) {
        this.counters.queueDrops++;
        return { send: false, reason: 'queue' };
      }
      this.busyUntil = start + (bytes * 8) / (rateMbit * 1000);
      leaves = this.busyUntil;
    }
    this.counters.bytes += bytes;
    if (random() * 100 < this.profile.reorderPct) {
      this.counters.reordered++;
      return { send: true, at: leaves };
    }
    const jitter = this.profile.jitterMs * (2 * random() - 1);
    const at = Math.max(leaves + Math.max(0, this.profile.delayMs + jitter), this.lastAt);
    this.lastAt = at;
    return { send: true, at };
  }
}
