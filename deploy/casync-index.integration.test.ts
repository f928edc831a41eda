/**
 * The index parser against the real casync (`casync make`): blobs of several sizes and shapes, both
 * digests, small and default chunk sizes. Each chunk's id must be the digest of the blob's bytes at the
 * offset and size the parser read, and the store must hold exactly the chunks it lists.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CASYNC_TOOL_MISSING } from '../test/support/rauc-bundle.ts';
import { chunkPath, parseCasyncIndex, uniqueChunkIds } from './casync-index.ts';

const MISSING = CASYNC_TOOL_MISSING;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-casync-index-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** `casync make` of `blob`, returning the parsed index and the store's chunk files. */
function make(name: string, blob: Buffer, args: string[] = []): { index: ReturnType<typeof parseCasyncIndex>; stored: string[] } {
  const file = path.join(work, `${name}.bin`);
  const store = path.join(work, `${name}.castr`);
  fs.writeFileSync(file, blob);
  execFileSync('casync', ['make', ...args, `--store=${store}`, path.join(work, `${name}.caibx`), file], { stdio: 'ignore' });
  const stored = fs.existsSync(store) ? (fs.readdirSync(store, { recursive: true }) as string[]).filter((f) => f.endsWith('.cacnk')).sort() : [];
  return { index: parseCasyncIndex(fs.readFileSync(path.join(work, `${name}.caibx`)), `${name}.caibx`), stored };
}

function expectChunksOf(blob: Buffer, { index, stored }: ReturnType<typeof make>): void {
  expect(index.blobBytes).toBe(blob.length);
  let at = 0;
  for (const chunk of index.chunks) {
    expect(chunk.offset).toBe(at);
    expect(chunk.size).toBeLessThanOrEqual(index.chunkSizeMax);
    expect(chunk.id).toBe(crypto.createHash(index.digest).update(blob.subarray(chunk.offset, chunk.offset + chunk.size)).digest('hex'));
    at += chunk.size;
  }
  expect(uniqueChunkIds(index).map(chunkPath).sort()).toEqual(stored);
}

describe.skipIf(MISSING)(`casync's own index files${MISSING ? ` (skipped: ${MISSING})` : ''}`, () => {
  it('a random blob at the default chunk sizes (SHA-512/256 ids)', () => {
    const blob = crypto.randomBytes(3 * 1024 * 1024 + 12_345);
    const made = make('random', blob);
    expect(made.index).toMatchObject({ digest: 'sha512-256', chunkSizeMin: 16384, chunkSizeAvg: 65536, chunkSizeMax: 262144 });
    expect(made.index.chunks.length).toBeGreaterThan(20);
    expectChunksOf(blob, made);
  });

  it('SHA-256 ids, small chunks, and a blob that repeats itself (one chunk named again and again)', () => {
    const block = crypto.randomBytes(512 * 1024);
    const blob = Buffer.concat([block, Buffer.alloc(2 * 1024 * 1024), block, crypto.randomBytes(1000)]);
    const made = make('repeats', blob, ['--digest=sha256', '--chunk-size=1024:4096:16384']);
    expect(made.index).toMatchObject({ digest: 'sha256', chunkSizeMin: 1024, chunkSizeAvg: 4096, chunkSizeMax: 16384 });
    expectChunksOf(blob, made);
    // the zeros are one chunk of the maximum size, over and over
    expect(made.index.chunks.length - uniqueChunkIds(made.index).length).toBeGreaterThan(100);
  });

  it('a blob smaller than one chunk, and an empty one', () => {
    const tiny = crypto.randomBytes(100);
    expectChunksOf(tiny, make('tiny', tiny));
    const empty = make('empty', Buffer.alloc(0));
    expect(empty.index.chunks).toEqual([]);
    expect(empty.index.blobBytes).toBe(0);
  });
});
