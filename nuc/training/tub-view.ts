/**
 * The tub editor's view of one tub: every record (the deleted ones too, to restore them), in index
 * order, with what its saved filter keeps; pages of records and plot buckets cut from it, so a
 * 20,000-record tub is read from disk once per change, not once per request. A tub's files are
 * statted on every request: a changed manifest or catalog is read again.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { compileFilter, filterFields, MANIFEST_FILE, readTub, savedFilterText, TRAIN_FILTER_KEY, TubError, type TubManifest, type TubRecord } from '../../tub/index.ts';
import { CatalogError } from './catalog.ts';
import { isTubName } from './names.ts';

export interface TubView {
  name: string;
  dir: string;
  manifest: TubManifest;
  /** every readable record, deleted or not, by index */
  records: TubRecord[];
  deleted: ReadonlySet<number>;
  /** per record: whether the tub's filter (saved, else the default) keeps it */
  kept: boolean[];
  filter: { text: string; saved: boolean };
  /** bad records skipped while reading */
  skipped: number;
}

/** One record as the editor pages it. */
export interface RecordRow {
  index: number;
  angle: number;
  throttle: number;
  mode: string;
  timestampMs: number | null;
  deleted: boolean;
  /** the filter keeps it (and it is not deleted): training learns from it */
  kept: boolean;
}

/** A stretch of records summarised for the plot. */
export interface PlotBucket {
  /** first and last record index in the bucket */
  first: number;
  last: number;
  count: number;
  deleted: number;
  angle: { min: number; max: number; mean: number };
  throttle: { min: number; max: number; mean: number };
}

async function signature(dir: string, manifest: TubManifest | undefined): Promise<string> {
  const files = [MANIFEST_FILE, ...(manifest?.catalog.paths ?? [])];
  const stats = await Promise.all(files.map((f) => stat(path.join(dir, f)).then((s) => `${f}:${s.size}:${s.mtimeMs}`, () => `${f}:-`)));
  return stats.join('|');
}

export class TubViews {
  private readonly cache = new Map<string, { signature: string; view: TubView }>();

  constructor(
    private readonly tubsDir: string,
    /** tubs kept in memory (the most recently used) */
    private readonly capacity = 4,
  ) {}

  /** The tub's view; a CatalogError (400/404/422) names what is wrong. */
  async get(name: string): Promise<TubView> {
    if (!isTubName(name)) throw new CatalogError(400, `'${name}' is not a tub name: use letters, digits, '.', '-' or '_', not starting with '.'`);
    const dir = path.join(this.tubsDir, name);
    const cached = this.cache.get(name);
    const now = await signature(dir, cached?.view.manifest);
    if (cached && cached.signature === now) {
      // most recently used last
      this.cache.delete(name);
      this.cache.set(name, cached);
      return cached.view;
    }
    const view = await this.read(name, dir);
    this.cache.delete(name);
    this.cache.set(name, { signature: await signature(dir, view.manifest), view });
    while (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return view;
  }

  private async read(name: string, dir: string): Promise<TubView> {
    let tub;
    try {
      tub = await readTub(dir, { checkImages: false, includeDeleted: true });
    } catch (error) {
      if (error instanceof TubError && error.reason === 'not-a-tub') throw new CatalogError(404, `there is no tub '${name}'`);
      if (error instanceof TubError) throw new CatalogError(422, `tub '${name}' cannot be read: ${error.message}`);
      throw error;
    }
    const records = [...tub.records, ...(tub.deletedRecords ?? [])].sort((a, b) => a.index - b.index);
    const deleted = new Set(tub.manifest.catalog.deleted_indexes);
    const text = savedFilterText(tub);
    let test: (r: TubRecord) => boolean;
    try {
      const filter = compileFilter(text, filterFields(tub.manifest.inputs, tub.manifest.types));
      test = (r) => filter.test(r.values);
    } catch {
      // a hand-edited filter that does not fit: training refuses the tub, the editor shows nothing kept
      test = () => false;
    }
    return {
      name,
      dir,
      manifest: tub.manifest,
      records,
      deleted,
      kept: records.map((r) => !deleted.has(r.index) && test(r)),
      filter: { text, saved: typeof tub.manifest.metadata[TRAIN_FILTER_KEY] === 'string' },
      skipped: tub.skipped,
    };
  }
}

export function recordRows(view: TubView, offset: number, limit: number): RecordRow[] {
  return view.records.slice(offset, offset + limit).map((r, i) => ({
    index: r.index,
    angle: r.angle,
    throttle: r.throttle,
    mode: r.mode,
    timestampMs: r.timestampMs ?? null,
    deleted: view.deleted.has(r.index),
    kept: view.kept[offset + i]!,
  }));
}

/** Records [from, to) (positions in the view) in at most `buckets` even buckets. */
export function plotBuckets(view: TubView, from: number, to: number, buckets: number): PlotBucket[] {
  const end = Math.min(to, view.records.length);
  const start = Math.min(from, end);
  const n = end - start;
  if (n === 0) return [];
  const size = Math.ceil(n / Math.max(1, buckets));
  const out: PlotBucket[] = [];
  for (let b = start; b < end; b += size) {
    const slice = view.records.slice(b, Math.min(end, b + size));
    const angles = slice.map((r) => r.angle);
    const throttles = slice.map((r) => r.throttle);
    const stats = (values: number[]) => ({ min: Math.min(...values), max: Math.max(...values), mean: values.reduce((a, v) => a + v, 0) / values.length });
    out.push({ first: slice[0]!.index, last: slice.at(-1)!.index, count: slice.length, deleted: slice.filter((r) => view.deleted.has(r.index)).length, angle: stats(angles), throttle: stats(throttles) });
  }
  return out;
}

/** The record with this index, by binary search (records are in index order). */
export function recordAt(view: TubView, index: number): TubRecord | undefined {
  let lo = 0;
  let hi = view.records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = view.records[mid]!.index;
    if (at === index) return view.records[mid];
    if (at < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** The position of the first record at or after `index` (for paging to an index). */
export function positionOf(view: TubView, index: number): number {
  let lo = 0;
  let hi = view.records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (view.records[mid]!.index < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
