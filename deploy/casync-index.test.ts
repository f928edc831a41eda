import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CA_FORMAT_TABLE_TAIL_MARKER, CasyncIndexError, chunkPath, chunkStoreOf, parseCasyncIndex, uniqueChunkIds, CHUNK_PATH, MAX_INDEX_BYTES } from './casync-index.ts';

/** The test's blob: sha256('blob-0') ‖ sha256('blob-1') ‖ … cut at 300,000 bytes (no chunk of it repeats). */
function blob(): Buffer {
  const bytes = Buffer.alloc(300_000);
  for (let i = 0, at = 0; at < bytes.length; i++, at += 32) crypto.createHash('sha256').update(`blob-${i}`).digest().copy(bytes, at);
  return bytes;
}

// What `casync make --store=s det.caibx det.bin` (casync 2, Debian 12) wrote for that blob, and with --digest=sha256.
const SHA512_256_INDEX = Buffer.from(
  'MAAAAAAAAAD5nxJ7nE2ClgAAAAAAAACwAEAAAAAAAAAAAAEAAAAAAAAABAAAAAAA//////////99QRcvEZ5b57qMAQAAAAAADrZT3eQKVNb7uXiS5WuFCKsO9997oxFnw/HcsCzu2m+dJwIAAAAAAEyuGW4VuXCGUvMJ46jaFthildefHwQqSlP50lQJ/CAccuMCAAAAAADp02swFbAW77WF2KZWO1tgExAJqEDyEbD4HcqD38/0/uCTBAAAAAAAE87P4l02megK4XvYtNbKUY9rCPR7Z3WArnnjxtr/KR4AAAAAAAAAAAAAAAAAAAAAMAAAAAAAAADYAAAAAAAAANHsSVUOBU9L',
  'base64',
);
const SHA256_INDEX = Buffer.from(
  'MAAAAAAAAAD5nxJ7nE2ClgAAAAAAAACQAEAAAAAAAAAAAAEAAAAAAAAABAAAAAAA//////////99QRcvEZ5b57qMAQAAAAAA3LlOahr/QkaXHCikFZNpBi4Wd5ccYY8yCO/SP+srjsWdJwIAAAAAAMgc0qavhouFyoswDvJ0y6EEMGVONlUulnfZPyWe+ciScuMCAAAAAAClaO/xILtshDkGl7WSm8HppsejCAxkFy/P8kWCh6UeJ+CTBAAAAAAAZUXoazyv3DBBn+DVnmHUIXksVly/cSGFOoZGQ7WxopQAAAAAAAAAAAAAAAAAAAAAMAAAAAAAAADYAAAAAAAAANHsSVUOBU9L',
  'base64',
);

/** A copy of `bytes` with a little-endian u64 written at `at`. */
function withU64(bytes: Buffer, at: number, value: bigint): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeBigUInt64LE(value, at);
  return copy;
}

/** An index of `ends` (chunk end offsets) with made-up ids, laid out as casync writes it. */
function makeIndex(ends: number[], options: { max?: number } = {}): Buffer {
  const head = Buffer.alloc(64);
  head.writeBigUInt64LE(48n, 0);
  head.writeBigUInt64LE(0x96824d9c7b129ff9n, 8);
  head.writeBigUInt64LE(0xb000000000000000n, 16);
  head.writeBigUInt64LE(16384n, 24);
  head.writeBigUInt64LE(65536n, 32);
  head.writeBigUInt64LE(BigInt(options.max ?? 262144), 40);
  head.writeBigUInt64LE(0xffffffffffffffffn, 48);
  head.writeBigUInt64LE(0xe75b9e112f17417dn, 56);
  const items = ends.map((end, i) => {
    const item = Buffer.alloc(40, i + 1);
    item.writeBigUInt64LE(BigInt(end), 0);
    return item;
  });
  const tail = Buffer.alloc(40);
  tail.writeBigUInt64LE(48n, 16);
  tail.writeBigUInt64LE(BigInt(16 + 40 * ends.length + 40), 24);
  tail.writeBigUInt64LE(CA_FORMAT_TABLE_TAIL_MARKER, 32);
  return Buffer.concat([head, ...items, tail]);
}

describe("casync's index format", () => {
  it("lists the chunks of a real index, each id the SHA-512/256 of the blob's bytes at its offset and size", () => {
    const index = parseCasyncIndex(SHA512_256_INDEX, 'det.caibx');
    expect(index).toMatchObject({ digest: 'sha512-256', featureFlags: 0xb000000000000000n, chunkSizeMin: 16384, chunkSizeAvg: 65536, chunkSizeMax: 262144, blobBytes: 300_000 });
    expect(index.chunks.map((c) => [c.offset, c.size])).toEqual([
      [0, 101562],
      [101562, 39651],
      [141213, 48085],
      [189298, 110702],
    ]);
    const bytes = blob();
    for (const chunk of index.chunks) expect(chunk.id).toBe(crypto.createHash('sha512-256').update(bytes.subarray(chunk.offset, chunk.offset + chunk.size)).digest('hex'));
    // its store held these four files
    expect(uniqueChunkIds(index).map(chunkPath)).toEqual(index.chunks.map((c) => `${c.id.slice(0, 4)}/${c.id}.cacnk`));
  });

  it('reads the digest from the feature flags: SHA-256 ids without CA_FORMAT_SHA512_256', () => {
    const index = parseCasyncIndex(SHA256_INDEX);
    expect(index.digest).toBe('sha256');
    const bytes = blob();
    for (const chunk of index.chunks) expect(chunk.id).toBe(crypto.createHash('sha256').update(bytes.subarray(chunk.offset, chunk.offset + chunk.size)).digest('hex'));
  });

  it('takes an index of no chunks (an empty blob), and names each chunk once where the blob repeats', () => {
    expect(parseCasyncIndex(makeIndex([]))).toMatchObject({ blobBytes: 0, chunks: [] });
    const repeated = makeIndex([100, 200, 300]);
    // the third chunk's id is the first's
    Buffer.from(repeated.subarray(64 + 8, 64 + 40)).copy(repeated, 64 + 40 * 2 + 8);
    const index = parseCasyncIndex(repeated);
    expect(index.chunks).toHaveLength(3);
    expect(uniqueChunkIds(index)).toEqual([index.chunks[0]!.id, index.chunks[1]!.id]);
  });

  it('refuses what is not an index, naming the file and what is wrong', () => {
    const refuse = (bytes: Uint8Array, message: RegExp): void => {
      expect(() => parseCasyncIndex(bytes, 'x.caibx')).toThrow(CasyncIndexError);
      expect(() => parseCasyncIndex(bytes, 'x.caibx')).toThrow(message);
    };
    refuse(Buffer.alloc(0), /^x\.caibx is not a valid casync index: 0 bytes, shorter than an index of no chunks \(104\)$/);
    refuse(SHA512_256_INDEX.subarray(0, 103), /103 bytes, shorter/);
    refuse(Buffer.from('not an index at all, just some text that is long enough to be read as one. '.repeat(3)), /its header's type is 0x.*, not CA_FORMAT_INDEX \(0x96824d9c7b129ff9\)/);
    refuse(withU64(SHA512_256_INDEX, 8, 0x1396fabcea5bbb51n), /it is a casync archive \(\.catar\), not an index/);
    refuse(withU64(SHA512_256_INDEX, 0, 64n), /its header's size is 64, not 48/);
    refuse(withU64(SHA512_256_INDEX, 16, 0xb000000000000000n | 0x0800000000000000n), /unknown feature flags 0x0800000000000000/);
    refuse(withU64(SHA512_256_INDEX, 24, 0n), /chunk_size_min 0 is outside 1–134217728/);
    refuse(withU64(SHA512_256_INDEX, 40, 1n << 40n), /chunk_size_max 1099511627776 is outside/);
    refuse(withU64(SHA512_256_INDEX, 24, 100000n), /chunk sizes min 100000, avg 65536, max 262144 are out of order/);
    refuse(withU64(SHA512_256_INDEX, 48, 200n), /no table after the header \(size 0x00000000000000c8/);
    refuse(withU64(SHA512_256_INDEX, 56, 0x1234n), /no table after the header/);
  });

  it('refuses a table that is cut, ragged, padded or whose tail does not match', () => {
    const refuse = (bytes: Uint8Array, message: RegExp): void => expect(() => parseCasyncIndex(bytes, 'x.caibx')).toThrow(message);
    const n = SHA512_256_INDEX.length;
    refuse(SHA512_256_INDEX.subarray(0, n - 1), /263 bytes is not a header, whole 40-byte table items and a tail \(39 bytes too many or cut off\)/);
    // a whole item cut off the end: the marker is not where the length says
    refuse(SHA512_256_INDEX.subarray(0, n - 40), /no table tail marker at byte 216/);
    // trailing bytes after a good tail (casync reads one byte past it and refuses)
    refuse(Buffer.concat([SHA512_256_INDEX, Buffer.alloc(40)]), /no table tail marker at byte 296/);
    refuse(withU64(SHA512_256_INDEX, n - 40, 1n), /the table tail's zero fill at byte 224 is not zero/);
    refuse(withU64(SHA512_256_INDEX, n - 24, 64n), /the table tail's index offset is 64, not 48/);
    refuse(withU64(SHA512_256_INDEX, n - 16, 176n), /the table tail says the table is 176 bytes, but it is 216 \(4 items\)/);
  });

  it("refuses chunk offsets that do not grow, a chunk above the index's maximum, and offsets beyond a safe integer", () => {
    const refuse = (bytes: Uint8Array, message: RegExp): void => expect(() => parseCasyncIndex(bytes, 'x.caibx')).toThrow(message);
    refuse(makeIndex([0]), /chunk 0 ends at 0, not after the previous chunk's end 0/);
    refuse(makeIndex([100, 100]), /chunk 1 ends at 100, not after the previous chunk's end 100/);
    refuse(makeIndex([300, 200]), /chunk 1 ends at 200, not after/);
    refuse(makeIndex([262145]), /chunk 0 is 262145 bytes, more than the index's chunk_size_max 262144/);
    refuse(makeIndex([1000, 1000 + 262145]), /chunk 1 is 262145 bytes/);
    const huge = makeIndex([100, 200], { max: 134217728 });
    huge.writeBigUInt64LE(2n ** 60n, 64 + 40);
    refuse(huge, /chunk 1 ends at 1152921504606846976/);
    expect(parseCasyncIndex(makeIndex([262144, 262144 + 5]))).toMatchObject({ blobBytes: 262149 });
  });

  it('refuses an index larger than it reads before looking at it', () => {
    const big = new Uint8Array(MAX_INDEX_BYTES + 1);
    expect(() => parseCasyncIndex(big, 'big.caibx')).toThrow(/big\.caibx is not a valid casync index: 67108865 bytes, more than the 67108864 this reads/);
  });

  it("names chunk files as casync's stores do, refusing anything but a chunk id", () => {
    const id = 'ab12'.padEnd(64, 'c');
    expect(chunkPath(id)).toBe(`ab12/${id}.cacnk`);
    expect(CHUNK_PATH.test(`ab12/${id}.cacnk`)).toBe(true);
    for (const bad of [`ab13/${id}.cacnk`, `ab12/${id}.cacnk.tmp`, `../ab12/${id}.cacnk`, `AB12/${id.toUpperCase()}.cacnk`, `ab12/${id.slice(1)}.cacnk`]) expect(CHUNK_PATH.test(bad), bad).toBe(false);
    for (const bad of ['', '../etc/passwd', id.toUpperCase(), `${id}0`, `${id.slice(1)}/`]) expect(() => chunkPath(bad), bad).toThrow(/is not a chunk id/);
    expect(chunkStoreOf('/d/car-1-x.chunked.raucb')).toBe('/d/car-1-x.chunked.castr');
    expect(chunkStoreOf('/d/bundle')).toBe('/d/bundle.castr');
  });
});
