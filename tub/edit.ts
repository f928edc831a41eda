/**
 * Edits to a closed tub, kept in its manifest the way Donkeycar keeps them, so Donkeycar's own
 * tools see the same tub: deleting and restoring records moves their indexes in and out of the
 * catalog state's `deleted_indexes` (Donkeycar's Tub.delete_records / restore_records: the records
 * stay on disk), and the training filter is a key of the metadata line. Only the changed lines of
 * the manifest are rewritten; the file is replaced atomically. Edits to one tub are serialised
 * within this process; a tub being recorded must not be edited (its writer owns the manifest).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../runtime/index.ts';
import { compileFilter, filterFields, TRAIN_FILTER_KEY } from './filter.ts';
import { MANIFEST_FILE, pythonJson, type JsonValue } from './format.ts';
import { readManifest, TubError, type TubManifest } from './reader.ts';

export class TubEditError extends Error {
  override name = 'TubEditError';
}

const queues = new Map<string, Promise<unknown>>();

/** Runs edits of one tub one after another. */
function serialised<T>(dir: string, edit: () => Promise<T>): Promise<T> {
  const key = path.resolve(dir);
  const run = (queues.get(key) ?? Promise.resolve()).then(edit);
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

/** Rewrites manifest lines 3 (metadata) and/or 5 (catalog state), keeping the others byte for byte. */
async function rewriteManifest(dir: string, change: (manifest: TubManifest) => { metadata?: Record<string, JsonValue>; deleted?: number[] }): Promise<TubManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  const manifest = await readManifest(path.resolve(dir));
  const text = await readFile(file, 'utf8');
  const lines = text.split(/\r?\n/);
  const contentLines = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.trim() !== '');
  if (contentLines.length < 5) throw new TubError(dir, 'bad-manifest', `${MANIFEST_FILE} has ${contentLines.length} lines, expected 5`);
  const { metadata, deleted } = change(manifest);
  const next = { ...manifest };
  if (metadata) {
    lines[contentLines[2]!.i] = pythonJson(metadata);
    next.metadata = metadata;
  }
  if (deleted) {
    const catalog = { ...manifest.catalog, deleted_indexes: [...deleted].sort((a, b) => a - b) };
    lines[contentLines[4]!.i] = pythonJson({ paths: catalog.paths, current_index: catalog.current_index, max_len: catalog.max_len, deleted_indexes: catalog.deleted_indexes });
    next.catalog = catalog;
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  await writeFileAtomic(file, lines.join(eol));
  return next;
}

export interface DeletionChange {
  /** first and last record index of the range, inclusive */
  from: number;
  to: number;
  action: 'delete' | 'restore';
}

/** Marks a range of records deleted, or restores them; resolves with the tub's deleted indexes after. */
export function changeDeletions(dir: string, change: DeletionChange): Promise<number[]> {
  return serialised(dir, async () => {
    const next = await rewriteManifest(dir, (manifest) => {
      const total = manifest.catalog.current_index;
      const { from, to } = change;
      if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) throw new TubEditError(`the range ${from}..${to} is not a range of record indexes`);
      if (to >= total) throw new TubEditError(`the tub has records 0..${total - 1}; ${to} is past its end`);
      const deleted = new Set(manifest.catalog.deleted_indexes);
      for (let index = from; index <= to; index++) {
        if (change.action === 'delete') deleted.add(index);
        else deleted.delete(index);
      }
      return { deleted: [...deleted] };
    });
    return next.catalog.deleted_indexes;
  });
}

/** Saves (or, with null, removes) the filter training applies to this tub; a FilterError says what is wrong with it. */
export function saveTrainFilter(dir: string, filter: string | null): Promise<TubManifest> {
  return serialised(dir, () =>
    rewriteManifest(dir, (manifest) => {
      const metadata = { ...manifest.metadata };
      if (filter === null) {
        delete metadata[TRAIN_FILTER_KEY];
      } else {
        compileFilter(filter, filterFields(manifest.inputs, manifest.types));
        metadata[TRAIN_FILTER_KEY] = filter;
      }
      return { metadata };
    }),
  );
}
