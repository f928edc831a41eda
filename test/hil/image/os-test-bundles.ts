/**
 * The bundles the OS-update fault table installs, made on the host from the image's own build with
 * the real `rauc bundle`: small slots, so that RAUC writes them in seconds under TCG.
 *
 * - panic: a slot whose kernel and initramfs are the image's own but whose /sbin/init (busybox sh)
 *   prints EDGE-PANIC-SLOT and exits: the kernel panics ("Attempted to kill init"), `panic=5` reboots,
 *   and GRUB, having spent the slot's one try, boots the old one.
 * - slowWrite: an almost empty 384 MiB slot: RAUC copies all of it, long enough to pull the plug.
 * - refused: the panic bundle tampered (one byte of its payload flipped), signed by a foreign CA,
 *   built for another compatible, older than the running OS, and one whose image is larger than
 *   the slot.
 * Built once per image build and kept beside it (data/cache/hil/images/<target>/car-<os>-<target>.test-bundles/).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeExt4 } from '../../../image/disk.ts';
import { makeOsBundle } from '../../../image/index.ts';
import type { ImageManifest } from '../../../image/index.ts';
import { foreignTestOsKeys, testOsKeys } from './test-os-keys.ts';

const run = promisify(execFile);

export interface TestBundles {
  /** the image's own slot A, its /etc/edge-os-release naming a newer version and build: the OS a good update installs (made only when asked: 280 MB) */
  good?: { file: string; version: string };
  panic: string;
  slowWrite: string;
  refused: { tampered: string; foreignCa: string; otherCompatible: string; older: string; tooLarge: string };
}

const made = new Map<string, Promise<TestBundles>>();

export function makeTestBundles(built: { image: string; manifest: ImageManifest }, progress: (line: string) => void, options: { good?: boolean } = {}): Promise<TestBundles> {
  const key = `${built.image} ${options.good === true}`;
  let bundles = made.get(key);
  if (!bundles) {
    bundles = build(built, progress, options.good === true);
    made.set(key, bundles);
  }
  return bundles;
}

async function build({ image, manifest }: { image: string; manifest: ImageManifest }, progress: (line: string) => void, withGood: boolean): Promise<TestBundles> {
  // named after the image, so that dropping older images (guest.ts) drops these with them
  const dir = `${image.replace(/\.img$/, '')}.test-bundles`;
  const done = path.join(dir, withGood ? '.complete-with-good' : '.complete');
  const newer = { version: `${manifest.osVersion}-next`, build: manifest.osBuild + 100 };
  const files: TestBundles = {
    ...(withGood ? { good: { file: path.join(dir, 'good.raucb'), version: newer.version } } : {}),
    panic: path.join(dir, 'panic.raucb'),
    slowWrite: path.join(dir, 'slow-write.raucb'),
    refused: {
      tampered: path.join(dir, 'tampered.raucb'),
      foreignCa: path.join(dir, 'foreign-ca.raucb'),
      otherCompatible: path.join(dir, 'other-compatible.raucb'),
      older: path.join(dir, 'older.raucb'),
      tooLarge: path.join(dir, 'too-large.raucb'),
    },
  };
  if (fs.existsSync(done)) return files;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const keys = await testOsKeys();
  const foreign = await foreignTestOsKeys();
  const compatible = `edge-car-${manifest.target}`;
  const running = manifest.osBuild;

  // the panic slot: the image's kernel and initramfs, an init that exits
  const tree = path.join(dir, 'panic-tree');
  fs.mkdirSync(path.join(tree, 'boot'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'sbin'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'bin'), { recursive: true });
  // the mount points the initramfs moves /dev, /proc, /sys and /run onto: without them it gives up
  // before our init runs (a reboot by initramfs-tools, not a kernel panic)
  for (const dir of ['dev', 'proc', 'sys', 'run', 'tmp']) fs.mkdirSync(path.join(tree, dir), { recursive: true });
  await extractFromSlotA(image, manifest, [`/boot/vmlinuz-${manifest.kernel}`, `/boot/initrd.img-${manifest.kernel}`], path.join(tree, 'boot'));
  fs.renameSync(path.join(tree, 'boot', `vmlinuz-${manifest.kernel}`), path.join(tree, 'boot', 'vmlinuz'));
  fs.renameSync(path.join(tree, 'boot', `initrd.img-${manifest.kernel}`), path.join(tree, 'boot', 'initrd.img'));
  fs.copyFileSync('/bin/busybox', path.join(tree, 'bin', 'busybox'));
  fs.chmodSync(path.join(tree, 'bin', 'busybox'), 0o755);
  fs.writeFileSync(path.join(tree, 'sbin', 'init'), '#!/bin/busybox sh\necho "EDGE-PANIC-SLOT: this OS exits its init: the kernel panics" > /dev/console\nexit 1\n', { mode: 0o755 });
  const panicSlot = path.join(dir, 'panic.ext4');
  await makeExt4(panicSlot, 'rootB', 96, tree);
  const slowSlot = path.join(dir, 'slow.ext4');
  await makeExt4(slowSlot, 'rootB', 384, tree);
  const hugeSlot = path.join(dir, 'huge.ext4');
  const slotBytes = manifest.partitions.find((p) => p.role === 'rootB')!.bytes;
  await makeExt4(hugeSlot, 'rootB', Math.ceil(slotBytes / 1024 / 1024) + 64);

  const bundle = (slotImage: string, outFile: string, overrides: Partial<{ compatible: string; version: string; build: number; signingCert: string; signingKey: string }> = {}) =>
    makeOsBundle({ slotImage, compatible, ...newer, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile, progress: () => undefined, ...overrides });
  progress(`test bundles: ${withGood ? 'good, ' : ''}panic, slow write, and five to refuse`);
  if (files.good) {
    const goodSlot = path.join(dir, 'good.ext4');
    await cutSlotA(image, manifest, goodSlot);
    const osRelease = path.join(dir, 'edge-os-release');
    fs.writeFileSync(osRelease, `EDGE_OS_VERSION=${newer.version}\nEDGE_OS_TARGET=${manifest.target}\nEDGE_OS_BUILD=${newer.build}\nEDGE_OS_BUILT=${new Date((newer.build) * 1000).toISOString()}\n`);
    await run('debugfs', ['-w', '-R', 'rm /etc/edge-os-release', goodSlot]);
    await run('debugfs', ['-w', '-R', `write ${osRelease} /etc/edge-os-release`, goodSlot]);
    await bundle(goodSlot, files.good.file);
    fs.rmSync(goodSlot, { force: true });
  }
  await bundle(panicSlot, files.panic);
  await bundle(slowSlot, files.slowWrite);
  await bundle(panicSlot, files.refused.foreignCa, { signingCert: foreign.signingCert, signingKey: foreign.signingKey });
  await bundle(panicSlot, files.refused.otherCompatible, { compatible: 'edge-car-rpi-arm64' });
  await bundle(panicSlot, files.refused.older, { version: `${manifest.osVersion}-old`, build: running - 100 });
  await bundle(hugeSlot, files.refused.tooLarge);
  // one byte of the payload (the squashfs at the start of the bundle) flipped: dm-verity's hash tree disagrees
  const tampered = Buffer.from(fs.readFileSync(files.panic));
  const at = Math.floor(tampered.length / 3);
  tampered[at] = tampered[at]! ^ 0xff;
  fs.writeFileSync(files.refused.tampered, tampered);
  for (const scratch of [panicSlot, slowSlot, hugeSlot, tree]) fs.rmSync(scratch, { recursive: true, force: true });
  fs.writeFileSync(done, '');
  progress(`test bundles: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return files;
}

/** Slot A's ext4, cut out of the image (sparse). */
async function cutSlotA(image: string, manifest: ImageManifest, to: string): Promise<void> {
  const slot = manifest.partitions.find((p) => p.role === 'rootA')!;
  await run('dd', [`if=${image}`, `of=${to}`, 'bs=1M', `skip=${slot.offsetBytes / 1024 / 1024}`, `count=${slot.bytes / 1024 / 1024}`, 'conv=sparse', 'status=none']);
}

/** Copies files out of slot A's ext4 in the image (debugfs reads it without mounting). */
async function extractFromSlotA(image: string, manifest: ImageManifest, files: string[], to: string): Promise<void> {
  const part = path.join(to, '.rootA.ext4');
  await cutSlotA(image, manifest, part);
  try {
    for (const file of files) await run('debugfs', ['-R', `dump ${file} ${path.join(to, path.basename(file))}`, part]);
    for (const file of files) if (!fs.existsSync(path.join(to, path.basename(file))) || fs.statSync(path.join(to, path.basename(file))).size === 0) throw new Error(`debugfs could not copy ${file} out of slot A`);
  } finally {
    fs.rmSync(part, { force: true });
  }
}
