/**
 * The records a session wrote lately, by index and time, for "erase the last N seconds": bounded to
 * the longest erase (MAX_ERASE_SECONDS behind the newest record) and to a fixed count, whatever the
 * frame rate. Pure.
 */
import { MAX_ERASE_SECONDS } from '../../protocol/index.ts';

interface Written {
  index: number;
  /** when the frame was taken, as the recorder stamped it (ms) */
  ts: number;
}

export interface RecordRange {
  /** first and last record index, inclusive */
  from: number;
  to: number;
  count: number;
}

export class RecentRecords {
  private entries: Written[] = [];

  constructor(
    private readonly keepMs = MAX_ERASE_SECONDS * 1000,
    /** 60 s at 120 fps, with room */
    private readonly capacity = 8192,
  ) {}

  add(index: number, ts: number): void {
    this.entries.push({ index, ts });
    const newest = ts;
    let stale = 0;
    while (stale < this.entries.length && (this.entries[stale]!.ts < newest - this.keepMs || this.entries.length - stale > this.capacity)) stale++;
    if (stale > 0) this.entries = this.entries.slice(stale);
  }

  /** A new tub: what was written to the old one can no longer be erased from here. */
  clear(): void {
    this.entries = [];
  }

  get size(): number {
    return this.entries.length;
  }

  /** The records of the last `seconds` before the newest one (inclusive), or undefined when there are none. */
  lastSeconds(seconds: number): RecordRange | undefined {
    const newest = this.entries.at(-1);
    if (!newest) return undefined;
    const since = newest.ts - seconds * 1000;
    let first = this.entries.length - 1;
    while (first > 0 && this.entries[first - 1]!.ts >= since) first--;
    const from = this.entries[first]!.index;
    return { from, to: newest.index, count: this.entries.length - first };
  }

  /** Forgets the records of an erased range, so the next erase reaches further back. */
  forget(range: RecordRange): void {
    this.entries = this.entries.filter((entry) => entry.index < range.from || entry.index > range.to);
  }
}
