/**
 * Real bundles from the host's RAUC (`rauc bundle`, `rauc info`) of a small ext4 slot, signed with
 * test keys from deploy's createOsKeys; and the bundle of a small image cut out at its manifest's offset.
 * Chunked bundles from the host's `rauc convert` and casync, of a slot large enough to chunk (12 MiB).
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOsKeys, type OsKeyFiles } from '../deploy/index.ts';
import { makeExt4 } from './disk.ts';
import type { ImageManifest } from './manifest.ts';
import { bundleFromImage, chunkOsBundle, makeOsBundle, verifyOsBundle } from './os-bundle.ts';
import { hasTool } from './tools.ts';

const missing = ['rauc', 'mksquashfs', 'mkfs.ext4'].filter((tool) => !hasTool(tool));
const missingCasync = [...missing, ...(hasTool('casync') ? [] : ['casync'])];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-os-bundle-'));
let keys: OsKeyFiles;
let foreign: OsKeyFiles;
let slot: string;

beforeAll(async () => {
  if (missing.length > 0) return;
  keys = await createOsKeys(path.join(work, 'keys'));
  foreign = await createOsKeys(path.join(work, 'foreign'), { caName: 'foreign CA' });
  const tree = path.join(work, 'tree');
  fs.mkdirSync(path.join(tree, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'etc', 'edge-os-release'), 'EDGE_OS_VERSION=0.2.0-test\n');
  // incompressible content: RAUC refuses a bundle whose squashfs is a single 4 KiB block
  fs.writeFileSync(path.join(tree, 'etc', 'noise'), randomBytes(64 * 1024));
  slot = path.join(work, 'slot.ext4');
  await makeExt4(slot, 'rootA', 8, tree);
}, 60_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe.skipIf(missing.length > 0)(`OS bundles with the host's RAUC${missing.length ? ` (missing ${missing.join(', ')})` : ''}`, () => {
  it('makes a signed verity bundle that verifies against the CA and carries the manifest fields', async () => {
    const out = path.join(work, 'out', 'car.raucb');
    const bundle = await makeOsBundle({ slotImage: slot, compatible: 'edge-car-qemu-x86_64', version: '0.2.0-test', build: 1796601600, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile: out, progress: () => undefined });
    expect(bundle.file).toBe(out);
    expect(bundle.bytes).toBe(fs.statSync(out).size);
    expect(bundle.sha256).toBe(createHash('sha256').update(fs.readFileSync(out)).digest('hex'));
    expect(await verifyOsBundle(out, keys.caCert)).toEqual({ compatible: 'edge-car-qemu-x86_64', version: '0.2.0-test', build: 1796601600 });
    const info = JSON.parse(execFileSync('rauc', ['--conf', writeConf(keys.caCert), 'info', '--output-format=json', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { images: Array<Record<string, { filename: string }>> };
    expect(info.images[0]!.rootfs!.filename).toBe('rootfs.ext4');
    expect(fs.readdirSync(path.dirname(out))).toEqual(['car.raucb']);
  }, 60_000);

  it("is refused by another CA's keyring", async () => {
    const out = path.join(work, 'foreign.raucb');
    await makeOsBundle({ slotImage: slot, compatible: 'edge-car-qemu-x86_64', version: '0.2.0-test', build: 1, signingCert: foreign.signingCert, signingKey: foreign.signingKey, outFile: out, progress: () => undefined });
    await expect(verifyOsBundle(out, keys.caCert)).rejects.toThrow(/signature verification failed|unable to get local issuer/);
  }, 60_000);

  it('says which input is missing, and leaves no partial files when rauc fails', async () => {
    const out = path.join(work, 'bad', 'car.raucb');
    await expect(makeOsBundle({ slotImage: path.join(work, 'nope.ext4'), compatible: 'c', version: '1', build: 1, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile: out, progress: () => undefined })).rejects.toThrow(/the slot image .*nope\.ext4 is not readable/);
    await expect(makeOsBundle({ slotImage: slot, compatible: 'c', version: '1', build: 1, signingCert: keys.signingCert, signingKey: keys.caCert, outFile: out, progress: () => undefined })).rejects.toThrow(/rauc bundle/);
    expect(fs.readdirSync(path.dirname(out))).toEqual([]);
  }, 60_000);

  it("cuts slot A out of an image at its manifest's offset, checks it against the manifest, and names the bundle after the OS", async () => {
    const MIB = 1024 * 1024;
    const image = path.join(work, 'images', 'car-0.2.0-test-qemu-x86_64.img');
    fs.mkdirSync(path.dirname(image), { recursive: true });
    fs.writeFileSync(image, Buffer.alloc(2 * MIB, 0xaa));
    fs.appendFileSync(image, fs.readFileSync(slot));
    fs.appendFileSync(image, Buffer.alloc(MIB, 0xbb));
    const sha256 = createHash('sha256').update(fs.readFileSync(slot)).digest('hex');
    const manifest = { osVersion: '0.2.0-test', osBuild: 1796601700, compatible: 'edge-car-qemu-x86_64', target: 'qemu-x86_64', partitions: [{ index: 2, role: 'rootA', label: 'rootA', fs: 'ext4', offsetBytes: 2 * MIB, bytes: 8 * MIB, usedBytes: 0, sha256 }] } as unknown as ImageManifest;
    const bundle = await bundleFromImage({ image, manifest, signingCert: keys.signingCert, signingKey: keys.signingKey, progress: () => undefined });
    expect(bundle.file).toBe(path.join(path.dirname(image), 'car-0.2.0-test-qemu-x86_64.raucb'));
    expect(await verifyOsBundle(bundle.file, keys.caCert)).toEqual({ compatible: 'edge-car-qemu-x86_64', version: '0.2.0-test', build: 1796601700 });
    const wrong = { ...manifest, partitions: [{ ...manifest.partitions[0]!, sha256: '0'.repeat(64) }] } as ImageManifest;
    await expect(bundleFromImage({ image, manifest: wrong, signingCert: keys.signingCert, signingKey: keys.signingKey, progress: () => undefined })).rejects.toThrow(/does not match its manifest/);
    expect(fs.readdirSync(path.dirname(image)).sort()).toEqual(['car-0.2.0-test-qemu-x86_64.img', 'car-0.2.0-test-qemu-x86_64.raucb']);
  }, 60_000);
});

describe.skipIf(missingCasync.length > 0)(`chunked OS bundles with the host's rauc convert and casync${missingCasync.length ? ` (missing ${missingCasync.join(', ')})` : ''}`, () => {
  let bigSlot: string;
  let whole: string;
  beforeAll(async () => {
    if (missingCasync.length > 0) return;
    const tree = path.join(work, 'big-tree');
    fs.mkdirSync(path.join(tree, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'etc', 'edge-os-release'), 'EDGE_OS_VERSION=0.3.0-test\n');
    // enough incompressible chunks that the index is more than one squashfs block
    fs.writeFileSync(path.join(tree, 'noise'), randomBytes(8 * 1024 * 1024));
    bigSlot = path.join(work, 'big.ext4');
    await makeExt4(bigSlot, 'rootA', 12, tree);
    whole = path.join(work, 'chunks', 'car-0.3.0-test-qemu-x86_64.raucb');
    await makeOsBundle({ slotImage: bigSlot, compatible: 'edge-car-qemu-x86_64', version: '0.3.0-test', build: 1796601800, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile: whole, progress: () => undefined });
  }, 60_000);

  it("converts a bundle: a small bundle, signed, whose image is the slot's casync index, and its chunk store of <4 hex>/<64 hex>.cacnk", async () => {
    const out = path.join(work, 'chunks', 'car-0.3.0-test-qemu-x86_64.chunked.raucb');
    const lines: string[] = [];
    const chunked = await chunkOsBundle({ bundle: whole, outFile: out, signingCert: keys.signingCert, signingKey: keys.signingKey, keyring: keys.caCert, progress: (l) => lines.push(l) });
    expect(chunked).toMatchObject({ file: out, store: path.join(work, 'chunks', 'car-0.3.0-test-qemu-x86_64.chunked.castr'), slotBytes: 12 * 1024 * 1024, verified: { compatible: 'edge-car-qemu-x86_64', version: '0.3.0-test', build: 1796601800 } });
    expect(lines).toEqual(['bundle: rauc convert car-0.3.0-test-qemu-x86_64.raucb → car-0.3.0-test-qemu-x86_64.chunked.raucb and car-0.3.0-test-qemu-x86_64.chunked.castr/']);
    expect(chunked.bytes).toBe(fs.statSync(out).size);
    expect(chunked.bytes).toBeLessThan(fs.statSync(whole).size / 50);
    expect(chunked.sha256).toBe(createHash('sha256').update(fs.readFileSync(out)).digest('hex'));
    // 8 MiB of noise at casync's 64 KiB average, and the ext4 metadata around it
    expect(chunked.chunks).toBeGreaterThan(80);
    const files = fs.readdirSync(chunked.store, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files).toHaveLength(chunked.chunks);
    for (const f of files) expect(`${path.basename(f.parentPath)}/${f.name}`).toMatch(/^([0-9a-f]{4})\/\1[0-9a-f]{60}\.cacnk$/);
    expect(chunked.storeBytes).toBe(files.reduce((sum, f) => sum + fs.statSync(path.join(f.parentPath, f.name)).size, 0));
    expect(await verifyOsBundle(out, keys.caCert)).toEqual({ compatible: 'edge-car-qemu-x86_64', version: '0.3.0-test', build: 1796601800 });
    const info = JSON.parse(execFileSync('rauc', ['--conf', writeConf(keys.caCert), 'info', '--output-format=json', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { images: Array<Record<string, { filename: string }>> };
    expect(info.images[0]!.rootfs!.filename).toBe('rootfs.ext4.caibx');
    // casync rebuilds the slot from the store, byte for byte
    const rebuilt = path.join(work, 'rebuilt.ext4');
    const extracted = path.join(work, 'chunked-content');
    execFileSync('rauc', ['--conf', writeConf(keys.caCert), 'extract', out, extracted], { stdio: 'ignore' });
    execFileSync('casync', ['extract', `--store=${chunked.store}`, path.join(extracted, 'rootfs.ext4.caibx'), rebuilt], { stdio: 'ignore' });
    expect(createHash('sha256').update(fs.readFileSync(rebuilt)).digest('hex')).toBe(createHash('sha256').update(fs.readFileSync(bigSlot)).digest('hex'));
    expect(fs.readdirSync(path.dirname(out)).sort()).toEqual(['car-0.3.0-test-qemu-x86_64.chunked.castr', 'car-0.3.0-test-qemu-x86_64.chunked.raucb', 'car-0.3.0-test-qemu-x86_64.raucb']);
  }, 60_000);

  it("refuses a bundle another CA signed and a slot too small to chunk, leaving no partial bundle or store", async () => {
    const dir = path.join(work, 'chunk-refusals');
    const foreignWhole = path.join(dir, 'foreign.raucb');
    await makeOsBundle({ slotImage: bigSlot, compatible: 'edge-car-qemu-x86_64', version: '0.3.0-test', build: 1, signingCert: foreign.signingCert, signingKey: foreign.signingKey, outFile: foreignWhole, progress: () => undefined });
    await expect(chunkOsBundle({ bundle: foreignWhole, outFile: path.join(dir, 'foreign.chunked.raucb'), signingCert: keys.signingCert, signingKey: keys.signingKey, keyring: keys.caCert })).rejects.toThrow(/rauc .*convert.*(signature verification failed|unable to get local issuer)/s);
    const small = path.join(dir, 'small.raucb');
    await makeOsBundle({ slotImage: slot, compatible: 'edge-car-qemu-x86_64', version: '0.2.0-test', build: 1, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile: small, progress: () => undefined });
    await expect(chunkOsBundle({ bundle: small, outFile: path.join(dir, 'small.chunked.raucb'), signingCert: keys.signingCert, signingKey: keys.signingKey, keyring: keys.caCert })).rejects.toThrow(/the slot of .*small\.raucb is too small for a chunked bundle/);
    await expect(chunkOsBundle({ bundle: small, outFile: path.join(dir, 'small.chunked'), signingCert: keys.signingCert, signingKey: keys.signingKey, keyring: keys.caCert })).rejects.toThrow(/must end in \.raucb/);
    expect(fs.readdirSync(dir).sort()).toEqual(['foreign.raucb', 'small.raucb']);
  }, 60_000);

  it('makes the chunked twin of an image build beside its bundle when asked', async () => {
    const MIB = 1024 * 1024;
    const image = path.join(work, 'chunk-images', 'car-0.3.0-test-qemu-x86_64.img');
    fs.mkdirSync(path.dirname(image), { recursive: true });
    fs.writeFileSync(image, Buffer.alloc(MIB, 0xaa));
    fs.appendFileSync(image, fs.readFileSync(bigSlot));
    const sha256 = createHash('sha256').update(fs.readFileSync(bigSlot)).digest('hex');
    const manifest = { osVersion: '0.3.0-test', osBuild: 1796601900, compatible: 'edge-car-qemu-x86_64', target: 'qemu-x86_64', partitions: [{ index: 2, role: 'rootA', label: 'rootA', fs: 'ext4', offsetBytes: MIB, bytes: 12 * MIB, usedBytes: 0, sha256 }] } as unknown as ImageManifest;
    const bundle = await bundleFromImage({ image, manifest, signingCert: keys.signingCert, signingKey: keys.signingKey, chunked: { keyring: keys.caCert }, progress: () => undefined });
    expect(bundle.file).toBe(path.join(path.dirname(image), 'car-0.3.0-test-qemu-x86_64.raucb'));
    expect(bundle.chunked).toMatchObject({ file: path.join(path.dirname(image), 'car-0.3.0-test-qemu-x86_64.chunked.raucb'), store: path.join(path.dirname(image), 'car-0.3.0-test-qemu-x86_64.chunked.castr'), verified: { version: '0.3.0-test', build: 1796601900 } });
    expect(fs.readdirSync(path.dirname(image)).sort()).toEqual(['car-0.3.0-test-qemu-x86_64.chunked.castr', 'car-0.3.0-test-qemu-x86_64.chunked.raucb', 'car-0.3.0-test-qemu-x86_64.img', 'car-0.3.0-test-qemu-x86_64.raucb']);
    // without chunked: the verity bundle only
    const only = await bundleFromImage({ image, manifest, signingCert: keys.signingCert, signingKey: keys.signingKey, outDir: path.join(work, 'chunk-images', 'only'), progress: () => undefined });
    expect(only.chunked).toBeUndefined();
    expect(fs.readdirSync(path.join(work, 'chunk-images', 'only'))).toEqual(['car-0.3.0-test-qemu-x86_64.raucb']);
  }, 60_000);
});

function writeConf(keyring: string): string {
  const conf = path.join(work, 'verify.conf');
  fs.writeFileSync(conf, `[system]\ncompatible=x\nbootloader=noop\n\n[keyring]\npath=${keyring}\ncheck-purpose=codesign\n`);
  return conf;
}
