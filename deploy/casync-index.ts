/**
 * casync's index format (`.caibx` for a blob such as a slot image, `.caidx` for a directory archive),
 * read as hostile input: which chunks, in which order, make up the blob. Pure: bytes in, chunks out.
 *
 * The layout, from casync's src/caformat.h and src/caindex.c (all little-endian 64-bit fields):
 *
 *   INDEX   size = 48, type = CA_FORMAT_INDEX, feature_flags, chunk_size_min, _avg, _max
 *   TABLE   size = 2^64-1 (written before its length is known), type = CA_FORMAT_TABLE
 *   items   { offset: where the chunk ENDS in the blob, chunk id: 32 bytes }, one per chunk
 *   tail    0, 0, index_offset = 48, size = 16 + 40·items + 40, CA_FORMAT_TABLE_TAIL_MARKER
 *
 * A chunk id is the digest of the chunk's uncompressed bytes: SHA-512/256 when the feature flags have
 * CA_FORMAT_SHA512_256 (casync's default, and what `rauc convert` makes), else SHA-256. A store keeps
 * each chunk, zstd-compressed, at `<first 4 hex digits>/<64 hex digits>.cacnk`.
 *
 * What casync itself refuses, this refuses too, naming what is wrong: a short or ragged file, another
 * magic, unknown feature flags, chunk sizes outside 1 B–128 MiB or out of order, a table that is not
 * the index's, offsets that do not grow or a chunk larger than the index's maximum, a tail that is
 * missing or does not match, and trailing bytes.
 */

/** The header's object types and the table's end marker (casync's CA_FORMAT_*). */
export const CA_FORMAT_INDEX = 0x96824d9c7b129ff9n;
export const CA_FORMAT_TABLE = 0xe75b9e112f17417dn;
export const CA_FORMAT_TABLE_TAIL_MARKER = 0x4b4f050e5549ecd1n;
/** The first object of a casync archive (.catar): named when an archive is given for an index. */
const CA_FORMAT_ENTRY = 0x1396fabcea5bbb51n;
/** Chunk ids are SHA-512/256 digests (else SHA-256). */
export const CA_FORMAT_SHA512_256 = 0x2000000000000000n;
/** Every feature flag casync knows: the archive's WITH_* bits (0–32), the EXCLUDE_* bits and the digest. */
const CA_FORMAT_FEATURE_FLAGS_MAX = 0x1ffffffffn | 0x8000000000000000n | 0x4000000000000000n | 0x1000000000000000n | CA_FORMAT_SHA512_256;

/** casync's CA_CHUNK_SIZE_LIMIT_MIN/MAX: no chunk is smaller or larger. */
export const CHUNK_SIZE_LIMIT_MIN = 1;
export const CHUNK_SIZE_LIMIT_MAX = 128 * 1024 * 1024;

const INDEX_BYTES = 48;
const TABLE_HEADER_BYTES = 16;
const ITEM_BYTES = 40;
const TAIL_BYTES = 40;
const EMPTY_INDEX_BYTES = INDEX_BYTES + TABLE_HEADER_BYTES + TAIL_BYTES;
const UINT64_MAX = 0xffffffffffffffffn;
/**
 * The largest index this reads: 1.6 million chunks, a 100 GiB blob at casync's 64 KiB average (a 1 GiB
 * slot's index is about 450 KB). Callers check a file's size against it before reading it.
 */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export class CasyncIndexError extends Error {
  override name = 'CasyncIndexError';
}

export interface CasyncChunk {
  /** the chunk id: 64 lowercase hex digits */
  id: string;
  /** where the chunk starts in the blob */
  offset: number;
  /** its uncompressed length */
  size: number;
}

export interface CasyncIndex {
  /** the digest the chunk ids are */
  digest: 'sha512-256' | 'sha256';
  featureFlags: bigint;
  chunkSizeMin: number;
  chunkSizeAvg: number;
  chunkSizeMax: number;
  /** the blob's length: where the last chunk ends */
  blobBytes: number;
  /** in blob order; the same id appears again where the blob repeats itself */
  chunks: CasyncChunk[];
}

const hex64 = (n: bigint): string => `0x${n.toString(16).padStart(16, '0')}`;

/** Parses an index file's bytes; `name` says which file in the errors. */
export function parseCasyncIndex(bytes: Uint8Array, name = 'the casync index'): CasyncIndex {
  const fail = (what: string): never => {
    throw new CasyncIndexError(`${name} is not a valid casync index: ${what}`);
  };
  if (bytes.length > MAX_INDEX_BYTES) fail(`${bytes.length} bytes, more than the ${MAX_INDEX_BYTES} this reads`);
  if (bytes.length < EMPTY_INDEX_BYTES) fail(`${bytes.length} bytes, shorter than an index of no chunks (${EMPTY_INDEX_BYTES})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number): bigint => view.getBigUint64(at, true);

  const type = u64(8);
  if (type !== CA_FORMAT_INDEX) {
    fail(type === CA_FORMAT_ENTRY ? 'it is a casync archive (.catar), not an index' : `its header's type is ${hex64(type)}, not CA_FORMAT_INDEX (${hex64(CA_FORMAT_INDEX)})`);
  }
  if (u64(0) !== BigInt(INDEX_BYTES)) fail(`its header's size is ${u64(0)}, not ${INDEX_BYTES}`);
  const featureFlags = u64(16);
  const unknown = featureFlags & ~CA_FORMAT_FEATURE_FLAGS_MAX;
  if (unknown !== 0n) fail(`unknown feature flags ${hex64(unknown)}`);
  const sizes = [u64(24), u64(32), u64(40)] as const;
  for (const [i, size] of sizes.entries()) {
    if (size < BigInt(CHUNK_SIZE_LIMIT_MIN) || size > BigInt(CHUNK_SIZE_LIMIT_MAX)) fail(`chunk_size_${['min', 'avg', 'max'][i]} ${size} is outside ${CHUNK_SIZE_LIMIT_MIN}–${CHUNK_SIZE_LIMIT_MAX}`);
  }
  const [chunkSizeMin, chunkSizeAvg, chunkSizeMax] = sizes.map(Number) as [number, number, number];
  if (!(chunkSizeMin <= chunkSizeAvg && chunkSizeAvg <= chunkSizeMax)) fail(`chunk sizes min ${chunkSizeMin}, avg ${chunkSizeAvg}, max ${chunkSizeMax} are out of order`);
  if (u64(INDEX_BYTES) !== UINT64_MAX || u64(INDEX_BYTES + 8) !== CA_FORMAT_TABLE) {
    fail(`no table after the header (size ${hex64(u64(INDEX_BYTES))}, type ${hex64(u64(INDEX_BYTES + 8))}; expected ${hex64(UINT64_MAX)}, ${hex64(CA_FORMAT_TABLE)})`);
  }

  const itemBytes = bytes.length - EMPTY_INDEX_BYTES;
  if (itemBytes % ITEM_BYTES !== 0) fail(`${bytes.length} bytes is not a header, whole ${ITEM_BYTES}-byte table items and a tail (${itemBytes % ITEM_BYTES} bytes too many or cut off)`);
  const count = itemBytes / ITEM_BYTES;
  const tail = INDEX_BYTES + TABLE_HEADER_BYTES + count * ITEM_BYTES;
  if (u64(tail + 32) !== CA_FORMAT_TABLE_TAIL_MARKER) fail(`no table tail marker at byte ${tail + 32} (the file is cut, or has bytes after its end)`);
  if (u64(tail) !== 0n || u64(tail + 8) !== 0n) fail(`the table tail's zero fill at byte ${tail} is not zero`);
  if (u64(tail + 16) !== BigInt(INDEX_BYTES)) fail(`the table tail's index offset is ${u64(tail + 16)}, not ${INDEX_BYTES}`);
  const tableBytes = TABLE_HEADER_BYTES + count * ITEM_BYTES + TAIL_BYTES;
  if (u64(tail + 24) !== BigInt(tableBytes)) fail(`the table tail says the table is ${u64(tail + 24)} bytes, but it is ${tableBytes} (${count} items)`);

  const chunks: CasyncChunk[] = new Array<CasyncChunk>(count);
  let end = 0n;
  for (let i = 0; i < count; i++) {
    const at = INDEX_BYTES + TABLE_HEADER_BYTES + i * ITEM_BYTES;
    const next = u64(at);
    if (next <= end) fail(`chunk ${i} ends at ${next}, not after the previous chunk's end ${end}`);
    if (next > BigInt(Number.MAX_SAFE_INTEGER)) fail(`chunk ${i} ends at ${next}, beyond any blob this reads`);
    const size = next - end;
    if (size > BigInt(chunkSizeMax)) fail(`chunk ${i} is ${size} bytes, more than the index's chunk_size_max ${chunkSizeMax}`);
    chunks[i] = { id: Buffer.from(bytes.buffer, bytes.byteOffset + at + 8, 32).toString('hex'), offset: Number(end), size: Number(size) };
    end = next;
  }
  return {
    digest: (featureFlags & CA_FORMAT_SHA512_256) !== 0n ? 'sha512-256' : 'sha256',
    featureFlags,
    chunkSizeMin,
    chunkSizeAvg,
    chunkSizeMax,
    blobBytes: Number(end),
    chunks,
  };
}

/** Each chunk id once, in the order the blob first needs it. */
export function uniqueChunkIds(index: Pick<CasyncIndex, 'chunks'>): string[] {
  return [...new Set(index.chunks.map((c) => c.id))];
}

/** A chunk id as casync names it: 64 lowercase hex digits. */
export const CHUNK_ID = /^[0-9a-f]{64}$/;
/** A chunk's path in a store (and in the repository's pool): `<first 4 hex>/<64 hex>.cacnk`. */
export const CHUNK_PATH = /^([0-9a-f]{4})\/(\1[0-9a-f]{60})\.cacnk$/;

/** `<first 4 hex>/<64 hex>.cacnk`; throws on anything but a chunk id. */
export function chunkPath(id: string): string {
  if (!CHUNK_ID.test(id)) throw new CasyncIndexError(`'${id.slice(0, 80)}' is not a chunk id (64 lowercase hex digits)`);
  return `${id.slice(0, 4)}/${id}.cacnk`;
}

/** Where `rauc convert` puts a chunked bundle's chunk store: its name without `.raucb`, plus `.castr`. */
export function chunkStoreOf(bundle: string): string {
  return `${bundle.endsWith('.raucb') ? bundle.slice(0, -'.raucb'.length) : bundle}.castr`;
}
