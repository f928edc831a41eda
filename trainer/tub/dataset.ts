/**
 * From tubs to a training set: read several tubs (a bad tub or record is skipped and reported, not
 * fatal), keep the records worth learning from, and split train/validation deterministically.
 */
import path from 'node:path';
import { readTub, TubError, type ReadTubOptions, type TubIssue, type TubRecord } from './reader.ts';

export interface TubsReadResult {
  records: TubRecord[];
  issues: TubIssue[];
  /** bad records skipped, over all tubs */
  skipped: number;
  deleted: number;
  /** tubs refused as a whole (each also has an issue) */
  refusedTubs: string[];
}

export class NotEnoughRecordsError extends Error {
  constructor(
    readonly found: number,
    readonly needed: number,
    readonly issues: readonly TubIssue[],
  ) {
    const shown = issues.slice(0, 5).map((issue) => `  ${issue.message}`);
    const more = issues.length > shown.length ? [`  … and ${issues.length - shown.length} more`] : [];
    super([`only ${found} usable records, at least ${needed} needed`, ...shown, ...more].join('\n'));
    this.name = 'NotEnoughRecordsError';
  }
}

/**
 * Reads every tub; a tub that cannot be read at all becomes an issue. Throws NotEnoughRecordsError
 * when fewer than `minRecords` usable records remain (default 1).
 */
export async function readTubs(dirs: readonly string[], options: ReadTubOptions & { minRecords?: number } = {}): Promise<TubsReadResult> {
  const result: TubsReadResult = { records: [], issues: [], skipped: 0, deleted: 0, refusedTubs: [] };
  for (const dir of dirs) {
    try {
      const tub = await readTub(dir, options);
      result.records.push(...tub.records);
      result.issues.push(...tub.issues);
      result.skipped += tub.skipped;
      result.deleted += tub.deleted;
    } catch (error) {
      if (!(error instanceof TubError)) throw error;
      result.refusedTubs.push(error.tub);
      result.issues.push({ tub: error.tub, reason: 'refused-tub', message: `${error.message} (tub skipped)` });
    }
  }
  const needed = options.minRecords ?? 1;
  if (result.records.length < needed) throw new NotEnoughRecordsError(result.records.length, needed, result.issues);
  return result;
}

export interface RecordFilter {
  /** keep only these modes, e.g. ['user'] to learn from the driver alone */
  modes?: readonly string[];
  /** drop records below this throttle (standing still teaches nothing) */
  minThrottle?: number;
}

export function filterRecords(records: readonly TubRecord[], filter: RecordFilter): TubRecord[] {
  const modes = filter.modes ? new Set(filter.modes) : undefined;
  return records.filter((record) => (!modes || modes.has(record.mode)) && (filter.minThrottle === undefined || record.throttle >= filter.minThrottle));
}

export interface SplitOptions {
  /** share of records for validation, in [0, 1) (default 0.2) */
  validationFraction?: number;
  /** the same records and seed always give the same split */
  seed?: number;
}

export interface Split {
  train: TubRecord[];
  validation: TubRecord[];
}

/**
 * Each record goes to a side by a hash of (seed, tub name, session, index), so the split depends
 * neither on the order records arrive in nor on which other records exist: adding a tub never moves
 * a record from train to validation. With two or more records, each side gets at least one.
 */
export function splitRecords(records: readonly TubRecord[], options: SplitOptions = {}): Split {
  const fraction = options.validationFraction ?? 0.2;
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validationFraction must be in [0, 1), got ${fraction}`);
  const seed = options.seed ?? 0;
  const scored = records.map((record) => ({ record, score: unitHash(`${seed}|${path.basename(record.tub)}|${record.sessionId ?? ''}|${record.index}`) }));
  const validation = scored.filter((item) => item.score < fraction);
  const train = scored.filter((item) => item.score >= fraction);
  if (fraction > 0 && records.length >= 2) {
    // Tiny sets: move the nearest-to-threshold record so neither side is empty.
    if (validation.length === 0) moveExtreme(train, validation, 'lowest');
    else if (train.length === 0) moveExtreme(validation, train, 'highest');
  }
  return { train: train.map((item) => item.record), validation: validation.map((item) => item.record) };
}

function moveExtreme(from: Array<{ record: TubRecord; score: number }>, to: Array<{ record: TubRecord; score: number }>, which: 'lowest' | 'highest'): void {
  let best = 0;
  for (let i = 1; i < from.length; i++) {
    if (which === 'lowest' ? from[i]!.score < from[best]!.score : from[i]!.score > from[best]!.score) best = i;
  }
  to.push(...from.splice(best, 1));
}

/** FNV-1a (32-bit) of the text, mapped to [0, 1). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // FNV's low bits mix poorly for short, similar keys: finish with an avalanche step.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x100000000;
}
