/**
 * Checks a car OS bundle before it is published, with the host's real RAUC: `rauc info` verifies the
 * bundle's CMS signature against the offline OS CA (the same keyring the image gives the cars) and
 * prints its manifest as JSON; `rauc extract` then reads the whole payload through its verity hash
 * tree (`rauc info` alone checks only the signed manifest, so a damaged payload would pass it). The
 * JSON is parsed as hostile input: a typebox schema, and the version and compatible the release
 * manifest needs, each refusal naming the field.
 *
 * A chunked bundle (`rauc convert`: its image is a casync index, `rootfs.ext4.caibx`, and the slot's
 * bytes are chunks in a store beside it) is checked the same way, and then its chunk store: the index,
 * read from the verified payload, names every chunk; each must be in the store (`<bundle minus
 * .raucb>.castr/`, or `store`), and `casync digest` reads them all back through the index, refusing a
 * damaged one (casync checks each chunk against the id the index names). Publishing copies them into
 * the repository's chunk pool.
 *
 * This check protects the fleet from a publisher's mistake, not from an attacker on the NUC: each car
 * checks the bundle again with its own keyring before it installs anything, and casync on the car
 * checks every chunk against the signed index.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { OS_COMPATIBLE_PATTERN, OS_VERSION_PATTERN } from '../protocol/index.ts';
import { MAX_INDEX_BYTES, chunkStoreOf, parseCasyncIndex, uniqueChunkIds } from './casync-index.ts';
import { checkChunkStore } from './chunk-pool.ts';
import type { OsContent } from './release.ts';

const run = promisify(execFile);

/** `rauc info --output-format=json`, as far as publishing reads it (RAUC 1.8 prints more; the rest is left alone). */
const RaucInfoSchema = Type.Object({
  compatible: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
  version: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  build: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  images: Type.Array(
    Type.Record(
      Type.String({ maxLength: 200 }),
      Type.Object({ filename: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])), size: Type.Optional(Type.Unknown()) }),
    ),
    { maxItems: 64 },
  ),
});
export type RaucInfo = Static<typeof RaucInfoSchema>;
const checkInfo = TypeCompiler.Compile(RaucInfoSchema);

const VERSION = new RegExp(OS_VERSION_PATTERN);
const COMPATIBLE = new RegExp(OS_COMPATIBLE_PATTERN);
/** what rauc prints for one bundle is a few hundred bytes; anything near this is not rauc's answer */
const MAX_INFO_BYTES = 1024 * 1024;

export class OsBundleError extends Error {
  override name = 'OsBundleError';
}

export interface OsBundleInfo {
  /** RAUC manifest `[update] version=` */
  version: string;
  /** RAUC manifest `[update] compatible=`: the kind of car it is for */
  compatible: string;
  /** RAUC manifest `[update] build=`, when set (the image's orderable build number) */
  build?: string;
  /** the slot classes it writes (e.g. rootfs) */
  slots: string[];
  /** a chunked bundle's chunks (its images are casync indexes), checked in their store */
  chunks?: OsBundleChunks;
}

/** What a chunked bundle's signed indexes name, and the store that holds it all. */
export interface OsBundleChunks {
  /** the chunk store (a directory of `<4 hex>/<64 hex>.cacnk`) */
  store: string;
  /** the index files in the bundle, e.g. rootfs.ext4.caibx */
  indexes: string[];
  /** every chunk the indexes name, once */
  ids: string[];
  /** the chunks' compressed bytes in the store */
  storeBytes: number;
  /** the bytes the chunks make: the slot images' lengths */
  blobBytes: number;
}

/** The extensions of casync's index files: a blob's (a slot image), a directory archive's. */
const CASYNC_INDEX = /\.cai[bd]x$/;

export interface OsBundleCheckOptions {
  /** the offline OS CA's certificate: the image's RAUC keyring */
  keyring: string;
  /** the rauc CLI (default `rauc` on the PATH) */
  rauc?: string;
  /** a chunked bundle's chunk store (default: the bundle's name without .raucb, plus .castr) */
  store?: string;
  /** the casync CLI that checks a chunked bundle's chunks (default `casync` on the PATH) */
  casync?: string;
}

/**
 * RAUC needs a system config to check a code-signing certificate's purpose (the image's
 * `check-purpose=codesign`); `info` and `extract` read nothing else from it.
 */
function withCheckConfig<T>(work: (config: string, dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-os-bundle-'));
  const config = path.join(dir, 'system.conf');
  fs.writeFileSync(config, ['[system]', 'compatible=edge-deploy-check', 'bootloader=noop', '', '[keyring]', 'check-purpose=codesign', ''].join('\n'));
  return work(config, dir).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

/** RAUC's own reason: its last line that is not one of its progress messages. */
function raucReason(error: unknown): string {
  const stderr = String((error as { stderr?: unknown }).stderr ?? '');
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('rauc-Message:') && !/^\(rauc:\d+\)/.test(l));
  return lines.at(-1) ?? (error as Error).message;
}

/** Why rauc refused, in the publisher's terms. */
function refusal(bundle: string, keyring: string, reason: string): OsBundleError {
  if (/signature verification failed|unable to get local issuer|certificate/i.test(reason)) {
    return new OsBundleError(`${bundle} is not signed by the offline OS CA (${keyring}): rauc: ${reason}`);
  }
  return new OsBundleError(`${bundle} is damaged or not a RAUC bundle: rauc: ${reason}`);
}

/** Parses `rauc info --output-format=json` (hostile: nothing is trusted before the schema says so). */
export function parseRaucInfo(bundle: string, stdout: string): RaucInfo {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch (error) {
    throw new OsBundleError(`rauc info printed no JSON for ${bundle}: ${(error as Error).message}`);
  }
  if (!checkInfo.Check(data)) {
    const first = checkInfo.Errors(data).First();
    throw new OsBundleError(`rauc info's answer for ${bundle} is invalid at ${first?.path || '/'}: ${first?.message ?? 'unknown error'}`);
  }
  return data;
}

/** The bundle's manifest as the release manifest needs it; throws an OsBundleError naming what is missing or wrong. */
export function osBundleInfo(bundle: string, info: RaucInfo): OsBundleInfo {
  const { version, compatible, build } = info;
  if (version === undefined || version === null || version === '') throw new OsBundleError(`${bundle}'s RAUC manifest has no version ([update] version=); the car compares it with the OS it runs`);
  if (!VERSION.test(version)) throw new OsBundleError(`${bundle}'s RAUC manifest version '${version}' is not an OS version (${OS_VERSION_PATTERN})`);
  if (compatible === null || compatible === '') throw new OsBundleError(`${bundle}'s RAUC manifest has no compatible ([update] compatible=)`);
  if (!COMPATIBLE.test(compatible)) throw new OsBundleError(`${bundle}'s RAUC manifest compatible '${compatible}' is not a car kind (${OS_COMPATIBLE_PATTERN})`);
  const slots = info.images.flatMap((image) => Object.keys(image));
  if (slots.length === 0) throw new OsBundleError(`${bundle}'s RAUC manifest has no image: it would install nothing`);
  return { version, compatible, ...(build ? { build } : {}), slots };
}

/** The images of a bundle that are casync indexes (a chunked bundle's), with the length RAUC's manifest gives each. */
export function casyncIndexImages(info: RaucInfo): { slot: string; filename: string; size: number | undefined }[] {
  return info.images.flatMap((image) =>
    Object.entries(image).flatMap(([slot, fields]) => (fields.filename && CASYNC_INDEX.test(fields.filename) ? [{ slot, filename: fields.filename, size: typeof fields.size === 'number' && Number.isSafeInteger(fields.size) ? fields.size : undefined }] : [])),
  );
}

/**
 * A chunked bundle's chunks: each index the extracted (verified) payload holds is parsed, every chunk
 * it names must be in `store`, and `casync digest` reads them all back through the index.
 */
async function checkChunks(bundle: string, content: string, images: ReturnType<typeof casyncIndexImages>, store: string, defaultStore: boolean, casync: string): Promise<OsBundleChunks> {
  const ids = new Set<string>();
  let blobBytes = 0;
  const files: string[] = [];
  for (const image of images) {
    // RAUC refuses an image name with a path in it; a bundle is hostile input all the same
    if (path.basename(image.filename) !== image.filename) throw new OsBundleError(`${bundle}'s image ${image.slot} is named '${image.filename}', not a file name`);
    const file = path.join(content, image.filename);
    const stat = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!stat?.isFile()) throw new OsBundleError(`${bundle}'s payload has no index file ${image.filename}`);
    if (stat.size > MAX_INDEX_BYTES) throw new OsBundleError(`${bundle}'s index ${image.filename} is ${stat.size} bytes, larger than any slot's`);
    let index;
    try {
      index = parseCasyncIndex(fs.readFileSync(file), `${path.basename(bundle)}'s ${image.filename}`);
    } catch (error) {
      throw new OsBundleError((error as Error).message);
    }
    if (image.size !== undefined && image.size !== index.blobBytes) throw new OsBundleError(`${bundle}'s index ${image.filename} makes ${index.blobBytes} bytes, but its RAUC manifest says the image is ${image.size}`);
    for (const id of uniqueChunkIds(index)) ids.add(id);
    blobBytes += index.blobBytes;
    files.push(file);
  }
  const all = [...ids];
  let storeBytes: number;
  try {
    storeBytes = checkChunkStore(store, all, `${path.basename(bundle)}'s index`).bytes;
  } catch (error) {
    const hint = fs.existsSync(store) || !defaultStore ? '' : `: a chunked bundle is published with the chunk store \`rauc convert\` wrote beside it (${path.basename(store)}/)`;
    throw new OsBundleError(`${(error as Error).message}${hint}`);
  }
  for (const file of files) {
    try {
      // every chunk is read, decompressed and checked against the id the index names (no output is written)
      await run(casync, ['digest', `--store=${store}`, file], { maxBuffer: MAX_INFO_BYTES, timeout: 30 * 60_000 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new OsBundleError(`cannot check the chunked bundle's store: '${casync}' is not installed (Debian: apt-get install casync)`);
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n').at(-1) ?? '';
      throw new OsBundleError(`the chunk store ${store} does not make ${path.basename(bundle)}'s ${path.basename(file)}: a chunk is damaged or not what the index names (casync: ${stderr || (error as Error).message})`);
    }
  }
  return { store, indexes: files.map((f) => path.basename(f)), ids: all, storeBytes, blobBytes };
}

/**
 * Checks a bundle with rauc: signed by the CA in `keyring`, intact (every payload block against its
 * verity hash), with a version and compatible. Throws an OsBundleError naming what was wrong.
 */
export async function checkOsBundle(bundle: string, options: OsBundleCheckOptions): Promise<OsBundleInfo> {
  const rauc = options.rauc ?? 'rauc';
  if (!fs.statSync(bundle, { throwIfNoEntry: false })?.isFile()) throw new OsBundleError(`no bundle file at ${bundle}`);
  if (!fs.statSync(options.keyring, { throwIfNoEntry: false })?.isFile()) {
    throw new OsBundleError(`no OS CA certificate at ${options.keyring}: run \`npm run deploy -- init\`, or name the offline CA's certificate with --keyring`);
  }
  return withCheckConfig(async (config, dir) => {
    const common = ['--conf', config, '--keyring', options.keyring];
    let stdout: string;
    try {
      ({ stdout } = await run(rauc, [...common, 'info', '--output-format=json', bundle], { maxBuffer: MAX_INFO_BYTES, timeout: 60_000 }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new OsBundleError(`cannot check the bundle: '${rauc}' is not installed (Debian: apt-get install rauc squashfs-tools)`);
      throw refusal(bundle, options.keyring, raucReason(error));
    }
    const raucInfo = parseRaucInfo(bundle, stdout);
    const info = osBundleInfo(bundle, raucInfo);
    const indexes = casyncIndexImages(raucInfo);
    if (indexes.length === 0 && options.store !== undefined) throw new OsBundleError(`${bundle} is not a chunked bundle (its images are not casync indexes): it has no chunk store`);
    if (indexes.length > 0 && indexes.length !== info.slots.length) throw new OsBundleError(`${bundle} mixes casync indexes and whole images: publish a bundle \`rauc convert\` made`);
    const content = path.join(dir, 'content');
    try {
      // the payload's blocks are checked against the signed verity root hash as they are read
      await run(rauc, [...common, 'extract', bundle, content], { maxBuffer: MAX_INFO_BYTES, timeout: 30 * 60_000 });
    } catch (error) {
      throw refusal(bundle, options.keyring, raucReason(error));
    }
    if (indexes.length === 0) return info;
    const store = path.resolve(options.store ?? chunkStoreOf(bundle));
    return { ...info, chunks: await checkChunks(bundle, content, indexes, store, options.store === undefined, options.casync ?? 'casync') };
  });
}

/** A checked bundle's content for a release (read whole: the repository stores it by its sha256). */
export function osContent(bundle: string, info: OsBundleInfo): OsContent {
  return {
    version: info.version,
    compatible: info.compatible,
    fileName: path.basename(bundle),
    bytes: fs.readFileSync(bundle),
    ...(info.chunks ? { chunks: { store: info.chunks.store, ids: info.chunks.ids } } : {}),
  };
}
