/** The chunk store check and the repository's chunk pool on a real file system (the pool flushes with sync(1)). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkPath } from './casync-index.ts';
import { ChunkStoreError, checkChunkStore, poolChunks } from './chunk-pool.ts';

let dir: string;
let store: string;
let pool: string;
const id = (n: number): string => `${n.toString(16).padStart(4, '0')}${'ab'.repeat(30)}`;

/** A store holding chunks 1..n (their bytes: `chunk <n>` repeated n times). */
function makeStore(n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => id(i + 1));
  for (const [i, chunk] of ids.entries()) {
    fs.mkdirSync(path.join(store, chunk.slice(0, 4)), { recursive: true });
    fs.writeFileSync(path.join(store, chunkPath(chunk)), `chunk ${i + 1}`.repeat(i + 1));
  }
  return ids;
}

/** Every file under `root`, relative, sorted (dot files too). */
function filesUnder(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => fs.lstatSync(path.join(root, f)).isFile()).sort();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-chunk-pool-'));
  store = path.join(dir, 'car.chunked.castr');
  pool = path.join(dir, 'repository', 'chunks');
  fs.mkdirSync(store);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a chunked bundle's chunk store", () => {
  it('holds every chunk the index names: their count and bytes', () => {
    const ids = makeStore(3);
    expect(checkChunkStore(store, ids)).toEqual({ chunks: 3, bytes: 'chunk 1'.length * 6 });
  });

  it('names the first missing chunk and how many are missing', () => {
    const ids = makeStore(5);
    fs.rmSync(path.join(store, chunkPath(ids[1]!)));
    fs.rmSync(path.join(store, ids[3]!.slice(0, 4)), { recursive: true });
    expect(() => checkChunkStore(store, ids, "b.raucb's index")).toThrow(ChunkStoreError);
    expect(() => checkChunkStore(store, ids, "b.raucb's index")).toThrow(`the chunk store ${store} lacks 2 of the 5 chunks b.raucb's index names; the first: ${chunkPath(ids[1]!)}`);
    expect(() => checkChunkStore(path.join(dir, 'nope.castr'), ids)).toThrow(`no chunk store (a directory) at ${path.join(dir, 'nope.castr')}`);
  });

  it('refuses symbolic links (a chunk, a chunk folder), what is not a file, an empty chunk, and a name that is not a chunk id', () => {
    const ids = makeStore(4);
    const outside = path.join(dir, 'secret');
    fs.writeFileSync(outside, 'not a chunk');
    fs.rmSync(path.join(store, chunkPath(ids[0]!)));
    fs.symlinkSync(outside, path.join(store, chunkPath(ids[0]!)));
    expect(() => checkChunkStore(store, ids)).toThrow(/the chunk store entry .*\/0001\/0001a.*\.cacnk is a symbolic link: chunks are plain files/);
    fs.rmSync(path.join(store, chunkPath(ids[0]!)));
    fs.mkdirSync(path.join(store, chunkPath(ids[0]!)));
    expect(() => checkChunkStore(store, ids)).toThrow(/\.cacnk is not a plain file/);
    fs.rmSync(path.join(store, '0001'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(store, '0001'));
    expect(() => checkChunkStore(store, ids)).toThrow(/the chunk store entry .*\/0001 is a symbolic link: a store's chunk folders are plain directories/);
    fs.rmSync(path.join(store, '0001'));
    fs.mkdirSync(path.join(store, '0001'));
    fs.writeFileSync(path.join(store, chunkPath(ids[0]!)), '');
    expect(() => checkChunkStore(store, ids)).toThrow(/\.cacnk is 0 bytes: no chunk is empty/);
    expect(() => checkChunkStore(store, ['../../secret'])).toThrow(/'\.\.\/\.\.\/secret' is not a chunk id/);
    expect(() => poolChunks(pool, store, [`${ids[1]!}/../x`])).toThrow(/is not a chunk id/);
  });
});

describe("the repository's chunk pool", () => {
  it('copies the chunks it lacks as <4 hex>/<64 hex>.cacnk, keeps those it has, and leaves no temporary file', () => {
    const ids = makeStore(3);
    expect(poolChunks(pool, store, [ids[0]!, ids[1]!, ids[0]!])).toEqual({ added: 2, addedBytes: 7 + 14, present: 0, presentBytes: 0 });
    expect(filesUnder(pool)).toEqual([chunkPath(ids[0]!), chunkPath(ids[1]!)].sort());
    expect(fs.readFileSync(path.join(pool, chunkPath(ids[1]!)), 'utf8')).toBe('chunk 2chunk 2');
    // another OS sharing two chunks: only the third is new
    expect(poolChunks(pool, store, ids)).toEqual({ added: 1, addedBytes: 21, present: 2, presentBytes: 21 });
    expect(filesUnder(pool)).toEqual(ids.map(chunkPath).sort());
    // a chunk in the pool is kept as it is (content-addressed: same name, same content)
    fs.writeFileSync(path.join(store, chunkPath(ids[0]!)), 'recompressed');
    expect(poolChunks(pool, store, ids)).toMatchObject({ added: 0, present: 3 });
    expect(fs.readFileSync(path.join(pool, chunkPath(ids[0]!)), 'utf8')).toBe('chunk 1');
    // an empty file under a chunk's name (a writer that crashed) is replaced
    fs.writeFileSync(path.join(pool, chunkPath(ids[2]!)), '');
    expect(poolChunks(pool, store, ids)).toEqual({ added: 1, addedBytes: 21, present: 2, presentBytes: 7 + 14 });
    expect(fs.readFileSync(path.join(pool, chunkPath(ids[2]!)), 'utf8')).toBe('chunk 3'.repeat(3));
    expect(filesUnder(pool)).toEqual(ids.map(chunkPath).sort());
  });

  it('refuses a store chunk that is a symbolic link, and a pool entry that is one', () => {
    const ids = makeStore(2);
    const outside = path.join(dir, 'secret');
    fs.writeFileSync(outside, 'private key');
    fs.rmSync(path.join(store, chunkPath(ids[1]!)));
    fs.symlinkSync(outside, path.join(store, chunkPath(ids[1]!)));
    expect(() => poolChunks(pool, store, ids)).toThrow(/is a symbolic link/);
    expect(filesUnder(pool).some((f) => fs.readFileSync(path.join(pool, f), 'utf8') === 'private key')).toBe(false);
    fs.rmSync(path.join(store, chunkPath(ids[1]!)));
    fs.writeFileSync(path.join(store, chunkPath(ids[1]!)), 'chunk 2');
    fs.mkdirSync(path.join(pool, ids[1]!.slice(0, 4)), { recursive: true });
    fs.symlinkSync(outside, path.join(pool, chunkPath(ids[1]!)));
    expect(() => poolChunks(pool, store, ids)).toThrow(/the pool entry .*\.cacnk is a symbolic link/);
  });

  it('says which chunk the store lacks', () => {
    const ids = makeStore(1);
    expect(() => poolChunks(pool, store, [ids[0]!, id(9)])).toThrow(`the chunk store ${store} lacks ${chunkPath(id(9))}`);
    // nothing of a failed copy stays: no chunk, no temporary file
    expect(filesUnder(pool)).toEqual([]);
  });
});
