/**
 * RAUC bundles of the car's OS: one root slot image (ext4) with RAUC's manifest (compatible, version,
 * the orderable build), in RAUC's verity format (every block checked against a signed hash tree as
 * the car reads it), signed with the OS code-signing certificate by the host's `rauc bundle`.
 *
 * `makeOsBundle` is the low level (any slot image); `bundleFromImage` makes the bundle of an image
 * build (`car-<version>-<target>.raucb` beside the image) from its root slot A.
 *
 * `chunkOsBundle` makes a bundle's chunked twin with `rauc convert`: a small bundle, signed like the
 * first, whose image is the slot's casync index (`rootfs.ext4.caibx`), and beside it the chunk store
 * `<name>.castr/` the index's chunks are in. A car's RAUC (`[casync] storepath` in its system.conf)
 * extracts the slot with the running slot as casync's seed, so it fetches only the chunks it lacks;
 * `npm run deploy -- publish os` copies the store's chunks into the repository's pool.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkOsBundle, chunkStoreOf } from '../deploy/index.ts';
import { sha256File } from './disk.ts';
import type { ImageManifest } from './manifest.ts';
import { requireTools, runTool } from './tools.ts';

/** The slot image's name inside the bundle. */
export const BUNDLE_SLOT_IMAGE = 'rootfs.ext4';

const VERSION_PATTERN = /^[A-Za-z0-9._+-]{1,64}$/;
const COMPATIBLE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface OsBundleOptions {
  /** the root slot's ext4 image */
  slotImage: string;
  /** RAUC's compatible, e.g. edge-car-qemu-x86_64 */
  compatible: string;
  /** the OS version, e.g. 0.1.0-3f2a9c1b */
  version: string;
  /** the OS build's time, whole seconds since the epoch (the car refuses one older than its own) */
  build: number;
  signingCert: string;
  signingKey: string;
  outFile: string;
  progress(line: string): void;
}

export interface OsBundle {
  file: string;
  bytes: number;
  sha256: string;
  seconds: number;
}

/** RAUC's manifest of a one-slot verity bundle. Pure. */
export function bundleManifest(fields: { compatible: string; version: string; build: number }): string {
  if (!COMPATIBLE_PATTERN.test(fields.compatible)) throw new Error(`the bundle's compatible must be 1-64 of A-Z a-z 0-9 . _ -, got '${fields.compatible}'`);
  if (!VERSION_PATTERN.test(fields.version)) throw new Error(`the bundle's version must be 1-64 of A-Z a-z 0-9 . _ + -, got '${fields.version}'`);
  if (!Number.isSafeInteger(fields.build) || fields.build < 0 || String(fields.build).length > 12) throw new Error(`the bundle's build must be whole seconds since the epoch, got ${fields.build}`);
  return ['[update]', `compatible=${fields.compatible}`, `version=${fields.version}`, `build=${fields.build}`, '', '[bundle]', 'format=verity', '', '[image.rootfs]', `filename=${BUNDLE_SLOT_IMAGE}`, ''].join('\n');
}

function readable(file: string, what: string): void {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new Error(`${what} ${file} is not readable`);
  }
}

/** Writes `outFile` with `rauc bundle` (replacing it only when the new bundle is whole). */
export async function makeOsBundle(options: OsBundleOptions): Promise<OsBundle> {
  requireTools(['rauc', 'mksquashfs']);
  readable(options.slotImage, 'the slot image');
  readable(options.signingCert, 'the signing certificate');
  readable(options.signingKey, 'the signing key');
  const manifest = bundleManifest(options);
  const started = performance.now();
  fs.mkdirSync(path.dirname(options.outFile), { recursive: true });
  const content = `${options.outFile}.content-${process.pid}`;
  const partial = `${options.outFile}.partial-${process.pid}`;
  fs.rmSync(content, { recursive: true, force: true });
  fs.rmSync(partial, { force: true });
  fs.mkdirSync(content);
  try {
    fs.writeFileSync(path.join(content, 'manifest.raucm'), manifest);
    // a hard link where the file system allows it (a GB slot is not copied), else a sparse copy
    const inside = path.join(content, BUNDLE_SLOT_IMAGE);
    try {
      fs.linkSync(options.slotImage, inside);
    } catch {
      await runTool('cp', ['--sparse=always', options.slotImage, inside]);
    }
    options.progress(`bundle: rauc bundle ${path.basename(options.outFile)} (${options.compatible} ${options.version}, build ${options.build})`);
    // rauc names the output's type by its suffix
    const out = `${partial}.raucb`;
    await runTool('rauc', ['bundle', '--cert', options.signingCert, '--key', options.signingKey, content, out]);
    fs.renameSync(out, options.outFile);
  } finally {
    fs.rmSync(content, { recursive: true, force: true });
    fs.rmSync(`${partial}.raucb`, { force: true });
  }
  const bytes = fs.statSync(options.outFile).size;
  const sha256 = await sha256File(options.outFile);
  return { file: options.outFile, bytes, sha256, seconds: Math.round(performance.now() - started) / 1000 };
}

export function bundleFileName(osVersion: string, target: string): string {
  return `car-${osVersion}-${target}.raucb`;
}

/** The chunked bundle's name: `car-<version>-<target>.chunked.raucb` (its store: `….chunked.castr/`). */
export function chunkedBundleFileName(osVersion: string, target: string): string {
  return `car-${osVersion}-${target}.chunked.raucb`;
}

export interface ChunkOptions {
  /** a signed (verity) bundle */
  bundle: string;
  /** the chunked bundle to write: a name ending .raucb; its chunk store is the name without .raucb, plus .castr */
  outFile: string;
  /** what signs the chunked bundle (the bundle's own signer, normally) */
  signingCert: string;
  signingKey: string;
  /** the OS CA: `rauc convert` checks the bundle with it, and the chunked bundle is checked with it */
  keyring: string;
  progress?(line: string): void;
}

export interface ChunkedOsBundle extends OsBundle {
  /** the chunk store beside it */
  store: string;
  /** the distinct chunks its index names (all in the store) */
  chunks: number;
  /** their compressed bytes in the store */
  storeBytes: number;
  /** the slot image's length (what the chunks make) */
  slotBytes: number;
  /** the signed manifest, as the car reads it */
  verified: VerifiedBundle;
}

/** What RAUC 1.8 says when a chunked bundle's squashfs would be one 4 KiB block (a slot of a few MiB). */
const TOO_SMALL = /squashfs size \(\d+\) must be larger than/;

/**
 * Writes `outFile` and its chunk store with `rauc convert` (both replaced only once the new ones are
 * whole and checked: the chunked bundle signed by a certificate `keyring` trusts, every chunk its
 * index names in the store and intact, as `deploy publish os` checks them).
 */
export async function chunkOsBundle(options: ChunkOptions): Promise<ChunkedOsBundle> {
  requireTools(['rauc', 'casync', 'mksquashfs']);
  readable(options.bundle, 'the bundle');
  readable(options.signingCert, 'the signing certificate');
  readable(options.signingKey, 'the signing key');
  readable(options.keyring, 'the keyring');
  if (!options.outFile.endsWith('.raucb')) throw new Error(`the chunked bundle's name must end in .raucb (rauc names the store after it), got ${options.outFile}`);
  const started = performance.now();
  const outFile = path.resolve(options.outFile);
  const store = chunkStoreOf(outFile);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  // rauc names the output's type by its suffix, and the store after the output
  const partial = `${outFile}.partial-${process.pid}.raucb`;
  const partialStore = chunkStoreOf(partial);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-rauc-convert-'));
  const clean = (): void => {
    fs.rmSync(partial, { force: true });
    fs.rmSync(partialStore, { recursive: true, force: true });
  };
  clean();
  try {
    // RAUC 1.8 checks a code-signing certificate's purpose only with check-purpose from a system configuration
    const conf = path.join(scratch, 'system.conf');
    fs.writeFileSync(conf, ['[system]', 'compatible=edge-car-convert', 'bootloader=noop', '', '[keyring]', 'check-purpose=codesign', ''].join('\n'));
    options.progress?.(`bundle: rauc convert ${path.basename(options.bundle)} → ${path.basename(outFile)} and ${path.basename(store)}/`);
    try {
      await runTool('rauc', ['--conf', conf, '--keyring', options.keyring, 'convert', '--cert', options.signingCert, '--key', options.signingKey, options.bundle, partial]);
    } catch (error) {
      if (TOO_SMALL.test((error as Error).message)) throw new Error(`rauc convert: the slot of ${options.bundle} is too small for a chunked bundle (RAUC 1.8 refuses one whose index fits one 4 KiB block: a slot of a few MiB)`);
      throw error;
    }
    const info = await checkOsBundle(partial, { keyring: options.keyring, store: partialStore });
    if (!info.chunks) throw new Error(`rauc convert wrote ${partial}, but its image is not a casync index`);
    fs.rmSync(store, { recursive: true, force: true });
    fs.renameSync(partialStore, store);
    fs.renameSync(partial, outFile);
    const bytes = fs.statSync(outFile).size;
    return {
      file: outFile,
      bytes,
      sha256: await sha256File(outFile),
      seconds: Math.round(performance.now() - started) / 1000,
      store,
      chunks: info.chunks.ids.length,
      storeBytes: info.chunks.storeBytes,
      slotBytes: info.chunks.blobBytes,
      verified: { compatible: info.compatible, version: info.version, build: Number(info.build) },
    };
  } finally {
    clean();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export interface ImageBundleOptions {
  /** the image build: the raw image and its manifest */
  image: string;
  manifest: ImageManifest;
  signingCert: string;
  signingKey: string;
  /** where the bundle goes (default: beside the image) */
  outDir?: string;
  /** also the chunked bundle (`car-<version>-<target>.chunked.raucb` and its store), checked against this keyring */
  chunked?: { keyring: string };
  progress(line: string): void;
}

/** An image's bundle, and its chunked twin when asked for. */
export interface ImageBundle extends OsBundle {
  chunked?: ChunkedOsBundle;
}

/** The bundle of an image build: slot A's file system, cut out of the image at the manifest's offset and checked against its sha256. */
export async function bundleFromImage(options: ImageBundleOptions): Promise<ImageBundle> {
  const { manifest } = options;
  const slot = manifest.partitions.find((p) => p.role === 'rootA');
  if (!slot) throw new Error(`the image manifest of ${manifest.osVersion} names no rootA partition`);
  if (slot.fs !== 'ext4') throw new Error(`slot A of ${manifest.osVersion} is ${slot.fs}, not ext4`);
  const MIB = 1024 * 1024;
  if (slot.offsetBytes % MIB !== 0 || slot.bytes % MIB !== 0) throw new Error(`slot A of ${manifest.osVersion} is not MiB-aligned (offset ${slot.offsetBytes}, ${slot.bytes} bytes)`);
  if (fs.statSync(options.image).size < slot.offsetBytes + slot.bytes) throw new Error(`${options.image} is shorter than its manifest's slot A (${slot.offsetBytes + slot.bytes} bytes)`);
  const outDir = options.outDir ?? path.dirname(options.image);
  fs.mkdirSync(outDir, { recursive: true });
  const outFile = path.join(outDir, bundleFileName(manifest.osVersion, manifest.target));
  const slotImage = path.join(outDir, `.rootA-${manifest.osVersion}-${process.pid}.ext4`);
  try {
    options.progress(`bundle: slot A (${slot.bytes / MIB} MiB at ${slot.offsetBytes / MIB} MiB) out of ${path.basename(options.image)}`);
    await runTool('dd', [`if=${options.image}`, `of=${slotImage}`, 'bs=1M', `skip=${slot.offsetBytes / MIB}`, `count=${slot.bytes / MIB}`, 'conv=sparse', 'status=none']);
    const sha256 = await sha256File(slotImage);
    if (sha256 !== slot.sha256) throw new Error(`slot A cut out of ${options.image} does not match its manifest (sha256 ${sha256}, manifest ${slot.sha256}): is the image the manifest's?`);
    const bundle = await makeOsBundle({
      slotImage,
      compatible: manifest.compatible,
      version: manifest.osVersion,
      build: manifest.osBuild,
      signingCert: options.signingCert,
      signingKey: options.signingKey,
      outFile,
      progress: options.progress,
    });
    fs.rmSync(slotImage, { force: true });
    if (!options.chunked) return bundle;
    const chunked = await chunkOsBundle({
      bundle: bundle.file,
      outFile: path.join(outDir, chunkedBundleFileName(manifest.osVersion, manifest.target)),
      signingCert: options.signingCert,
      signingKey: options.signingKey,
      keyring: options.chunked.keyring,
      progress: options.progress,
    });
    return { ...bundle, chunked };
  } finally {
    fs.rmSync(slotImage, { force: true });
  }
}

export interface VerifiedBundle {
  compatible: string;
  version: string;
  build: number;
}

/**
 * `rauc info` against a keyring, as a car would check the bundle's signature: RAUC 1.8's `--keyring`
 * alone refuses a code-signing-only certificate (no `check-purpose` flag), so a scratch system
 * configuration with `check-purpose=codesign` carries the keyring. Resolves to the signed manifest's
 * fields; rejects with RAUC's reason.
 */
export async function verifyOsBundle(bundle: string, keyring: string): Promise<VerifiedBundle> {
  requireTools(['rauc']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-rauc-info-'));
  try {
    const conf = path.join(dir, 'system.conf');
    fs.writeFileSync(conf, ['[system]', 'compatible=edge-car-verify', 'bootloader=noop', '', '[keyring]', `path=${path.resolve(keyring)}`, 'check-purpose=codesign', ''].join('\n'));
    const text = await runTool('rauc', ['--conf', conf, 'info', '--output-format=json', bundle]);
    let info: { compatible?: unknown; version?: unknown; build?: unknown };
    try {
      info = JSON.parse(text.slice(text.indexOf('{'))) as typeof info;
    } catch {
      throw new Error(`rauc info printed no JSON for ${bundle}`);
    }
    const build = typeof info.build === 'string' && /^\d{1,12}$/.test(info.build) ? Number(info.build) : NaN;
    if (typeof info.compatible !== 'string' || typeof info.version !== 'string' || !Number.isSafeInteger(build)) throw new Error(`${bundle}: its manifest lacks compatible, version or a numeric build (${JSON.stringify(info).slice(0, 200)})`);
    return { compatible: info.compatible, version: info.version, build };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
