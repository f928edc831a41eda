/**
 * The bundles the OS-update tests install, made on the host from the image's own build with the real
 * `rauc bundle` (and `rauc convert` for the chunked ones). The fault table's are small slots, so that
 * RAUC writes them in seconds under TCG.
 *
 * - good: the image's own slot A with a newer /etc/edge-os-release and one car service file changed:
 *   a release that changes only the car's services. As a verity bundle (280 MB) and chunked (a
 *   small bundle carrying the slot's casync index, and its chunk store).
 * - unhealthy: the good OS (newer still) whose kernel may not load the test camera's driver (vivid):
 *   it boots, but the car's camera never delivers, so the agent's health check never passes. Chunked.
 * - panic: a slot whose kernel and initramfs are the image's own but whose /sbin/init (busybox sh)
 *   prints EDGE-PANIC-SLOT and exits: the kernel panics ("Attempted to kill init"), `panic=5` reboots,
 *   and GRUB, having spent the slot's one try, boots the old one.
 * - slowWrite: an almost empty 384 MiB slot: RAUC copies all of it, long enough to pull the plug.
 * - refused: the panic bundle tampered (one byte of its payload flipped), signed by a foreign CA,
 *   built for another compatible, older than the running OS, and one whose image is larger than
 *   the slot.
 * Built once per image build and kept beside it (data/cache/hil/images/<target>/car-<os>-<target>.test-bundles/{nuc,faults}/).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { makeExt4 } from '../../../image/disk.ts';
import { chunkOsBundle, makeOsBundle } from '../../../image/index.ts';
import { TARGETS, type ImageManifest, type TargetName } from '../../../image/index.ts';
import { testImage } from './guest.ts';
import { foreignTestOsKeys, testOsKeys } from './test-os-keys.ts';

const run = promisify(execFile);

/** The OSes the car gets through the NUC (chunked): on every target. */
export interface NucBundles {
  /** the OS a good update installs: the image's own slot A, its /etc/edge-os-release naming a newer version and build, one car service file changed */
  good: { file: string; chunked: string; store: string; version: string };
  unhealthy: { chunked: string; store: string; version: string };
}

/** The whole fault table's bundles (x86_64). */
export interface TestBundles extends NucBundles {
  panic: string;
  slowWrite: string;
  refused: { tampered: string; foreignCa: string; otherCompatible: string; older: string; tooLarge: string };
}

interface Built {
  image: string;
  manifest: ImageManifest;
}

const made = new Map<string, Promise<unknown>>();

function once<T>(key: string, make: () => Promise<T>): Promise<T> {
  let promise = made.get(key) as Promise<T> | undefined;
  if (!promise) {
    promise = make();
    made.set(key, promise);
  }
  return promise;
}

/** named after the image, so that dropping older images (guest.ts) drops these with them */
function bundlesDir(image: string, set: string): string {
  return path.join(`${image.replace(/\.img$/, '')}.test-bundles`, set);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Holds `<dir>.lock` (a file made with O_EXCL, naming its process) while `body` runs: `.ci/run`'s
 * prebuild and a test may both want the same bundles. A lock whose process is gone is taken over.
 */
async function locked<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lock, 'utf8').trim());
      if (!Number.isInteger(holder) || !alive(holder)) fs.rmSync(lock, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  try {
    return await body();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Builds `files` in `dir` once per image: kept across runs, rebuilt when a build was cut short. */
function cached<T>(dir: string, files: T, progress: (line: string) => void, what: string, build: () => Promise<void>): Promise<T> {
  return locked(dir, async () => {
    const done = path.join(dir, '.complete');
    if (fs.existsSync(done)) return files;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const started = performance.now();
    progress(`test bundles: ${what}`);
    await build();
    fs.writeFileSync(done, '');
    progress(`test bundles: ${what}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return files;
  });
}

/** the car service file the good OS changes (appends a comment to): what a services-only OS release touches */
export const CHANGED_SERVICE_FILE = '/opt/edge/car/car-os.js';

function newerThan(manifest: ImageManifest, by: number, suffix: string): { version: string; build: number } {
  return { version: `${manifest.osVersion}-${suffix}`, build: manifest.osBuild + by };
}

function osReleaseText(manifest: ImageManifest, os: { version: string; build: number }): string {
  return `EDGE_OS_VERSION=${os.version}\nEDGE_OS_TARGET=${manifest.target}\nEDGE_OS_BUILD=${os.build}\nEDGE_OS_BUILT=${new Date(os.build * 1000).toISOString()}\n`;
}

export function makeNucBundles(built: Built, progress: (line: string) => void): Promise<NucBundles> {
  return once(`${built.image} nuc`, () => buildNucBundles(built, progress));
}

export function makeTestBundles(built: Built, progress: (line: string) => void): Promise<TestBundles> {
  return once(`${built.image} faults`, async () => ({ ...(await makeNucBundles(built, progress)), ...(await buildFaultBundles(built, progress)) }));
}

async function buildNucBundles({ image, manifest }: Built, progress: (line: string) => void): Promise<NucBundles> {
  const dir = bundlesDir(image, 'nuc');
  const good = newerThan(manifest, 100, 'next');
  const unhealthy = newerThan(manifest, 200, 'unhealthy');
  const files: NucBundles = {
    good: { file: path.join(dir, 'good.raucb'), chunked: path.join(dir, 'good.chunked.raucb'), store: path.join(dir, 'good.chunked.castr'), version: good.version },
    unhealthy: { chunked: path.join(dir, 'unhealthy.chunked.raucb'), store: path.join(dir, 'unhealthy.chunked.castr'), version: unhealthy.version },
  };
  return cached(dir, files, progress, 'a good OS and an unhealthy one (whole and chunked)', async () => {
    const keys = await testOsKeys();
    const compatible = `edge-car-${manifest.target}`;
    const bundle = (slotImage: string, outFile: string, os: { version: string; build: number }) =>
      makeOsBundle({ slotImage, compatible, ...os, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile, progress: () => undefined });
    const chunk = (bundleFile: string, outFile: string) => chunkOsBundle({ bundle: bundleFile, outFile, signingCert: keys.signingCert, signingKey: keys.signingKey, keyring: keys.caCert });
    const slot = path.join(dir, 'slot.ext4');
    await cutSlotA(image, manifest, slot);
    const osRelease = path.join(dir, 'edge-os-release');
    fs.writeFileSync(osRelease, osReleaseText(manifest, good));
    await replaceInSlot(slot, '/etc/edge-os-release', osRelease);
    const service = path.join(dir, path.basename(CHANGED_SERVICE_FILE));
    await run('debugfs', ['-R', `dump ${CHANGED_SERVICE_FILE} ${service}`, slot]);
    if (!fs.existsSync(service) || fs.statSync(service).size === 0) throw new Error(`debugfs could not copy ${CHANGED_SERVICE_FILE} out of slot A`);
    fs.appendFileSync(service, `\n// changed by the OS-update test: release ${good.version}\n`);
    await replaceInSlot(slot, CHANGED_SERVICE_FILE, service);
    await bundle(slot, files.good.file, good);
    await chunk(files.good.file, files.good.chunked);
    // the unhealthy OS: the good one, newer still, whose modprobe refuses the camera's driver
    const noCamera = path.join(dir, 'no-camera.conf');
    fs.writeFileSync(noCamera, '# the OS-update test: this OS lost its camera driver\ninstall vivid /bin/false\n');
    await run('debugfs', ['-w', '-R', `write ${noCamera} /etc/modprobe.d/edge-test-no-camera.conf`, slot]);
    fs.writeFileSync(osRelease, osReleaseText(manifest, unhealthy));
    await replaceInSlot(slot, '/etc/edge-os-release', osRelease);
    const unhealthyWhole = path.join(dir, 'unhealthy.raucb');
    await bundle(slot, unhealthyWhole, unhealthy);
    await chunk(unhealthyWhole, files.unhealthy.chunked);
    for (const scratch of [slot, unhealthyWhole, service, noCamera, osRelease]) fs.rmSync(scratch, { force: true });
  });
}

async function buildFaultBundles({ image, manifest }: Built, progress: (line: string) => void): Promise<Omit<TestBundles, keyof NucBundles>> {
  const dir = bundlesDir(image, 'faults');
  const files = {
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
  return cached(dir, files, progress, 'panic, slow write, and five to refuse', async () => {
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
    for (const sub of ['dev', 'proc', 'sys', 'run', 'tmp']) fs.mkdirSync(path.join(tree, sub), { recursive: true });
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

    const newer = newerThan(manifest, 100, 'next');
    const bundle = (slotImage: string, outFile: string, overrides: Partial<{ compatible: string; version: string; build: number; signingCert: string; signingKey: string }> = {}) =>
      makeOsBundle({ slotImage, compatible, ...newer, signingCert: keys.signingCert, signingKey: keys.signingKey, outFile, progress: () => undefined, ...overrides });
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
  });
}

/** Replaces one file in an ext4 image (debugfs writes it without mounting). */
async function replaceInSlot(slot: string, file: string, from: string): Promise<void> {
  await run('debugfs', ['-w', '-R', `rm ${file}`, slot]);
  await run('debugfs', ['-w', '-R', `write ${from} ${file}`, slot]);
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

/**
 * As a script (`.ci/run` runs it after an image's prebuild, in the background): the target's test
 * bundles, so that its test does not wait for them. `node --import tsx test/hil/image/os-test-bundles.ts <target> fault-table|through-nuc`
 */
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [target, set] = process.argv.slice(2);
  if (!(TARGETS as readonly string[]).includes(target ?? '') || (set !== 'fault-table' && set !== 'through-nuc')) {
    process.stderr.write(`usage: os-test-bundles.ts <${TARGETS.join('|')}> fault-table|through-nuc\n`);
    process.exit(2);
  }
  const progress = (line: string): void => void process.stdout.write(`${line}\n`);
  const built = await testImage(target as TargetName, progress);
  await (set === 'fault-table' ? makeTestBundles(built, progress) : makeNucBundles(built, progress));
}
