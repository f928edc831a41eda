/**
 * Real bundles from the host's RAUC (`rauc bundle`, `rauc info`) of a small ext4 slot, signed with
 * test keys from deploy's createOsKeys; and the bundle of a small image cut out at its manifest's offset.
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
import { bundleFromImage, makeOsBundle, verifyOsBundle } from './os-bundle.ts';
import { hasTool } from './tools.ts';

const missing = ['rauc', 'mksquashfs', 'mkfs.ext4'].filter((tool) => !hasTool(tool));
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

function writeConf(keyring: string): string {
  const conf = path.join(work, 'verify.conf');
  fs.writeFileSync(conf, `[system]\ncompatible=x\nbootloader=noop\n\n[keyring]\npath=${keyring}\ncheck-purpose=codesign\n`);
  return conf;
}
