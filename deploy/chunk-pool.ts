/**
 * The chunks of chunked OS bundles: a casync chunk store beside the bundle (what `rauc convert`
 * wrote), and the repository's pool `<repository>/chunks/<4 hex>/<64 hex>.cacnk` the NUC serves and
 * each car's casync fetches from. The pool is content-addressed like casync's stores: a chunk is named
 * by the digest of its bytes, so one already there is kept, and chunks shared by two OS versions are
 * stored once. No TUF metadata lists chunks: the bundle's signed index names each one by its digest,
 * and casync checks every chunk it fetches against it.
 *
 * Only the chunks an index names are read from a store, each by its exact name; a store's symbolic
 * links are refused (a store made by rauc has none), so nothing outside it is copied into the pool.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CHUNK_SIZE_LIMIT_MAX, chunkPath } from './casync-index.ts';

/** A compressed chunk is at most a little larger than casync's largest chunk. */
const MAX_CHUNK_FILE_BYTES = CHUNK_SIZE_LIMIT_MAX + 1024 * 1024;

export class ChunkStoreError extends Error {
  override name = 'ChunkStoreError';
}

/** A chunk's file in `root`, or why it cannot be used: absent, a symbolic link, not a plain file, too large. */
function chunkFile(root: string, id: string, what: string, options: { emptyIsMissing?: boolean } = {}): { file: string; bytes: number } | { file: string; missing: true } {
  const relative = chunkPath(id);
  const dir = path.join(root, path.dirname(relative));
  const file = path.join(root, relative);
  const dirStat = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!dirStat) return { file, missing: true };
  if (dirStat.isSymbolicLink() || !dirStat.isDirectory()) throw new ChunkStoreError(`${what} ${dir} is ${dirStat.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: a store's chunk folders are plain directories`);
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stat) return { file, missing: true };
  if (stat.isSymbolicLink() || !stat.isFile()) throw new ChunkStoreError(`${what} ${file} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a plain file'}: chunks are plain files`);
  if (stat.size === 0 && options.emptyIsMissing) return { file, missing: true };
  if (stat.size === 0 || stat.size > MAX_CHUNK_FILE_BYTES) throw new ChunkStoreError(`${what} ${file} is ${stat.size} bytes: no chunk is empty or larger than ${MAX_CHUNK_FILE_BYTES}`);
  return { file, bytes: stat.size };
}

/** The store's directory, resolved; throws when it is not one. */
function storeRoot(store: string): string {
  if (!fs.statSync(store, { throwIfNoEntry: false })?.isDirectory()) throw new ChunkStoreError(`no chunk store (a directory) at ${store}`);
  return fs.realpathSync(store);
}

export interface StoreCheck {
  /** how many distinct chunks the store holds for the index */
  chunks: number;
  /** their compressed bytes */
  bytes: number;
}

/**
 * Checks that `store` holds every chunk in `ids` as a plain file; throws a ChunkStoreError naming the
 * first missing chunk and how many are missing. `what` names the index the ids came from.
 */
export function checkChunkStore(store: string, ids: readonly string[], what = 'the index'): StoreCheck {
  const root = storeRoot(store);
  const missing: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const found = chunkFile(root, id, 'the chunk store entry');
    if ('missing' in found) missing.push(id);
    else bytes += found.bytes;
  }
  if (missing.length > 0) {
    throw new ChunkStoreError(`the chunk store ${store} lacks ${missing.length} of the ${ids.length} chunks ${what} names; the first: ${chunkPath(missing[0]!)} (is it the store \`rauc convert\` wrote with this bundle?)`);
  }
  return { chunks: ids.length, bytes };
}

export interface PooledChunks {
  /** chunks copied into the pool now, and their bytes */
  added: number;
  addedBytes: number;
  /** chunks the pool already had (from an earlier OS), and their bytes */
  present: number;
  presentBytes: number;
}

function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a chunk without following a symbolic link at its name, and only if it still is a plain file of a chunk's size. */
function readChunk(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size === 0 || stat.size > MAX_CHUNK_FILE_BYTES) throw new ChunkStoreError(`${file} is no longer a chunk file`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes what was written to the pool's file system durable: `sync -f` (syncfs(2), one call for the
 * thousands of chunks of a new OS; fsync per file costs ~2 ms each, half a minute for 11,000 chunks),
 * else an fsync of each file and folder named.
 */
function flush(poolDir: string, paths: Iterable<string>): void {
  const synced = spawnSync('sync', ['-f', poolDir], { stdio: 'ignore', timeout: 10 * 60_000 });
  if (synced.status === 0) return;
  for (const target of paths) fsyncPath(target);
}

/**
 * Copies the chunks in `ids` from `store` into the pool at `poolDir`, skipping those already there.
 * Each new one is written to a hidden temporary file; once all are on disk they are renamed to their
 * names and the renames flushed too, so the pool (which the NUC serves as it is written) never holds
 * part of a chunk under a chunk's name, not after a power cut either. (An empty file under a chunk's
 * name, which only a crash of another writer leaves, is replaced.) Check the store first
 * (checkChunkStore): a chunk missing here throws.
 */
export function poolChunks(poolDir: string, store: string, ids: readonly string[]): PooledChunks {
  const root = storeRoot(store);
  fs.mkdirSync(poolDir, { recursive: true });
  const pooled: PooledChunks = { added: 0, addedBytes: 0, present: 0, presentBytes: 0 };
  const written: { temp: string; file: string }[] = [];
  try {
    for (const id of new Set(ids)) {
      const inPool = chunkFile(poolDir, id, 'the pool entry', { emptyIsMissing: true });
      if (!('missing' in inPool)) {
        pooled.present++;
        pooled.presentBytes += inPool.bytes;
        continue;
      }
      const source = chunkFile(root, id, 'the chunk store entry');
      if ('missing' in source) throw new ChunkStoreError(`the chunk store ${store} lacks ${chunkPath(id)}`);
      const bytes = readChunk(source.file);
      const dir = path.dirname(inPool.file);
      fs.mkdirSync(dir, { recursive: true });
      // a dot file: the NUC serves no dot files, and no chunk is named so
      const temp = path.join(dir, `.${id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      written.push({ temp, file: inPool.file });
      fs.writeFileSync(temp, bytes, { flag: 'wx', mode: 0o644 });
      pooled.added++;
      pooled.addedBytes += bytes.length;
    }
    if (written.length === 0) return pooled;
    // the chunks' bytes on disk before any is under its name
    flush(poolDir, written.map((w) => w.temp));
    const dirs = new Set<string>();
    for (const w of written) {
      fs.renameSync(w.temp, w.file);
      dirs.add(path.dirname(w.file));
    }
    // then the names (the caller signs metadata naming the bundle only after this)
    flush(poolDir, [...dirs, poolDir]);
    return pooled;
  } finally {
    for (const w of written) fs.rmSync(w.temp, { force: true });
  }
}
