/**
 * From tubs to a training set: read several tubs (a bad tub or record is skipped and reported, not
 * fatal), keep the records worth learning from, and split train/validation deterministically.
 */
import path from 'node:path';
import { compileFilter, DEFAULT_TRAIN_FILTER, FilterError, filterFields, TRAIN_FILTER_KEY } from './filter.ts';
import { readTub, TubError, type ReadTubOptions, type TubIssue, type TubReadResult, type TubRecord } from './reader.ts';

export interface TubsReadResult {
  records: TubRecord[];
  issues: TubIssue[];
  /** bad records skipped, over all tubs */
  skipped: number;
  deleted: number;
  /** tubs refused as a whole (each also has an issue) */
  refusedTubs: string[];
  /** records a tub's filter (or the default one) left out */
  filteredOut: number;
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
export async function readTubs(dirs: readonly string[], options: ReadTubOptions & { minRecords?: number; keep?: (tub: TubReadResult) => TubRecord[] } = {}): Promise<TubsReadResult> {
  const result: TubsReadResult = { records: [], issues: [], skipped: 0, deleted: 0, refusedTubs: [], filteredOut: 0 };
  for (const dir of dirs) {
    try {
      const tub = await readTub(dir, options);
      const kept = options.keep ? options.keep(tub) : tub.records;
      result.records.push(...kept);
      result.filteredOut += tub.records.length - kept.length;
      result.issues.push(...tub.issues);
      result.skipped += tub.skipped;
      result.deleted += tub.deleted;
    } catch (error) {
      if (error instanceof FilterError) {
        const tub = path.resolve(dir);
        result.refusedTubs.push(tub);
        result.issues.push({ tub, reason: 'refused-tub', message: `tub ${tub}: its ${TRAIN_FILTER_KEY} cannot be used: ${error.message} (tub skipped)` });
        continue;
      }
      if (!(error instanceof TubError)) throw error;
      result.refusedTubs.push(error.tub);
      result.issues.push({ tub: error.tub, reason: 'refused-tub', message: `${error.message} (tub skipped)` });
    }
  }
  const needed = options.minRecords ?? 1;
  if (result.records.length < needed) throw new NotEnoughRecordsError(result.records.length, needed, result.issues);
  return result;
}

/** The filter a tub trains with: the one saved in its manifest, else the default (the driver's records). */
export function savedFilterText(tub: Pick<TubReadResult, 'manifest'>): string {
  const saved = tub.manifest.metadata[TRAIN_FILTER_KEY];
  return typeof saved === 'string' && saved.trim() !== '' ? saved : DEFAULT_TRAIN_FILTER;
}

/** The tub's records its filter keeps; a filter that does not fit the tub throws a FilterError. */
export function keptByFilter(tub: TubReadResult, text = savedFilterText(tub)): TubRecord[] {
  const filter = compileFilter(text, filterFields(tub.manifest.inputs, tub.manifest.types));
  return tub.records.filter((record) => filter.test(record.values));
}

/**
 * What training learns from: the usable records of the tubs (Donkeycar's deleted records left out),
 * each tub's through its saved filter or the default one. A tub that cannot be read, or whose filter
 * does not fit it, is skipped and reported.
 */
export function trainingRecords(dirs: readonly string[], options: ReadTubOptions & { minRecords?: number } = {}): Promise<TubsReadResult> {
  return readTubs(dirs, { ...options, keep: (tub) => keptByFilter(tub) });
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
