/**
 * `npm run image -- build`: one flashable image for one target, from Debian's archive and the npm
 * registry, mounting nothing. Steps (each cached by its inputs where it is slow): the root file
 * system (mmdebstrap), Node, the native addons, the car bundle (always: seconds), the car's OS files,
 * the file systems, the disk, the compressed copy and the manifest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildRunnerBundle } from '../deploy/index.ts';
import { BUILTIN_TRACKS_DIR } from '../world/index.ts';
import { inputsHash } from './cache.ts';
import { createHash } from 'node:crypto';
import { grubConfig, GRUB_MODULES, GRUBENV_INITIAL, raspiConfigTxt, raspiDeviceTrees, ubootEnvInitial, ubootScript, type BootArgs, type BootSlot } from './boot-config.ts';
import { assembleImage, ext4UsedBytes, makeExt4, makeVfat, sha256File } from './disk.ts';
import { imageFileName, osVersionOf, type ImageManifest } from './manifest.ts';
import { pruneModules, RAUC_MODULES, unloadableModules } from './kernel-modules.ts';
import { ensureNatives } from './natives.ts';
import { ensureNode } from './node-runtime.ts';
import { CAR_LAYOUT, osFiles, osLinks, withCarUser, type OsIdentity } from './os-files.ts';
import { compatibleOf, GRUBENV_BYTES, OS_UPDATE_LAYOUT, slotDevices, UBOOT_BOOT_ATTEMPTS, UBOOT_ENV_BYTES } from './os-update-files.ts';
import { partitionOf, partitionReference, planPartitions, rootSlotMiBFor, type PartitionPlan, type PartitionRole } from './partition-plan.ts';
import { DEFAULT_MIRROR, ensureRootfs, installedPackages } from './rootfs.ts';
import { BASE_PACKAGES, NODE_VERSION, type Target } from './targets.ts';
import { requireTools, runTool } from './tools.ts';

export interface ImageBuildOptions {
  target: Target;
  outDir: string;
  /** the data directory's cache, e.g. data/cache/image */
  cacheDir: string;
  projectRoot: string;
  mirror?: string;
  /**
   * Return an image already in outDir that was built from the same inputs (its OS version is their
   * hash) instead of building it again: the tests and a prebuild share one build per run. The CLI
   * always builds.
   */
  reuseBuilt?: boolean;
  /**
   * The OS code-signing CA's certificate (PEM file): the image's RAUC keyring, which decides what
   * bundles the car installs (`<data>/keys/offline/os-ca.cert.pem`, made by `npm run deploy -- init`).
   */
  keyring: string;
  progress(line: string): void;
}

export interface ImageBuildResult {
  image: string;
  compressed: string;
  manifestFile: string;
  manifest: ImageManifest;
  /** seconds per step */
  steps: Record<string, number>;
}

const BOOT_MIB = 128;
/** first boot grows it to the end of the card */
const DATA_MIB = 64;
/** the Pi's MBR disk id (PARTUUID prefix); fixed so that the boot script and fstab can name partitions */
const DISK_ID = '0xed9ecafe';
/** The car services' runner and the car OS's own entry (provision, run), bundled together. */
const CAR_ENTRIES = ['launcher/run-service.ts', 'launcher/car-os.ts'];
const CAR_ASSETS = [BUILTIN_TRACKS_DIR];

function toolsFor(target: Target): string[] {
  const tools = ['mmdebstrap', 'sfdisk', 'mkfs.ext4', 'mkfs.vfat', 'mcopy', 'mmd', 'zstd', 'npm', 'dd', 'g++', 'make'];
  if (target.boot === 'grub-efi') tools.push('grub-mkimage', 'grub-editenv');
  else tools.push('mkimage', 'mkenvimage');
  if (target.arch === 'arm64' && process.arch !== 'arm64') tools.push('qemu-aarch64-static', 'arch-test', 'aarch64-linux-gnu-g++');
  return tools;
}

/** Bytes under a path (apparent sizes, hard links counted once), as du sees them. */
async function duBytes(target: string): Promise<number> {
  if (!fs.existsSync(target)) return 0;
  return Number((await runTool('du', ['-s', '-B1', '--apparent-size', target])).split('\t')[0]);
}

async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort()) {
    hash.update(path.relative(dir, entry)).update('\0').update(fs.readFileSync(entry)).update('\0');
  }
  return hash.digest('hex');
}

/** Replaces a file of the hard-linked tree without touching the cached original it shares an inode with. */
function writeFresh(file: string, content: string | Buffer, mode = 0o644): void {
  fs.rmSync(file, { force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

function linkFresh(link: string, target: string): void {
  fs.rmSync(link, { force: true });
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link);
}

/** binfmt_misc lets mmdebstrap run arm64 maintainer scripts under qemu-user (root only). */
async function ensureBinfmt(progress: (line: string) => void): Promise<void> {
  if (process.arch === 'arm64') return;
  if (!fs.existsSync('/proc/sys/fs/binfmt_misc/register')) {
    progress('rootfs: mounting binfmt_misc (arm64 maintainer scripts run under qemu-user)');
    await runTool('mount', ['-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc']);
  }
  if (!fs.existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) {
    await runTool('update-binfmts', ['--enable', 'qemu-aarch64']).catch(async () => {
      throw new Error('qemu-aarch64 is not registered with binfmt_misc: apt-get install qemu-user-static binfmt-support');
    });
  }
}

export async function buildImage(options: ImageBuildOptions): Promise<ImageBuildResult> {
  const { target, progress } = options;
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    steps[name] = Math.round(performance.now() - started) / 1000;
    progress(`${name}: done in ${steps[name].toFixed(1)} s`);
    return result;
  };
  requireTools(toolsFor(target));
  if (process.getuid?.() !== 0) throw new Error('building an image needs root (mmdebstrap --mode=root and file ownership in the file systems); run it as root');
  const mirror = options.mirror ?? DEFAULT_MIRROR;
  const keyringPem = readKeyring(options.keyring);
  if (target.arch === 'arm64') await ensureBinfmt(progress);
  const table = target.boot === 'uboot-rpi' ? 'dos' : 'gpt';
  const bootSlots = slotsOf(planPartitions(table, target.arch, { bootMiB: BOOT_MIB, rootSlotMiB: 64, dataMiB: DATA_MIB }));
  const slots = slotDevices({ A: bootSlots[0]!.root, B: bootSlots[1]!.root });

  const rootfs = await step('rootfs', () => ensureRootfs({ arch: target.arch, packages: [...BASE_PACKAGES, ...target.packages], mirror, cacheDir: options.cacheDir, progress }));
  const node = await step('node', () => ensureNode(target.nodePackage, NODE_VERSION, options.cacheDir, progress));
  const natives = await step('natives', () => ensureNatives({ target, node, lockfile: path.join(options.projectRoot, 'package-lock.json'), cacheDir: options.cacheDir, progress }));

  // one work folder per build: two builds at once (two test files, a benchmark) never share a tree
  const work = path.join(options.cacheDir, `work-${target.name}-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const bundleDir = path.join(work, 'car');
  await step('bundle', async () => {
    progress('bundle: esbuild car services and the car OS entry');
    await buildRunnerBundle(
      CAR_ENTRIES.map((entry) => path.join(options.projectRoot, entry)),
      bundleDir,
    );
    for (const asset of CAR_ASSETS) fs.cpSync(path.join(options.projectRoot, asset), path.join(bundleDir, path.basename(asset)), { recursive: true });
  });
  const bundleHash = await treeHash(bundleDir);
  const kernelRelease = fs.readdirSync(path.join(rootfs.dir, 'boot')).find((name) => name.startsWith('vmlinuz-'))?.slice('vmlinuz-'.length);
  if (!kernelRelease) throw new Error(`the root file system has no kernel (/boot/vmlinuz-*): is ${target.packages[0]} installed?`);

  const projectVersion = (JSON.parse(fs.readFileSync(path.join(options.projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const buildTime = new Date();
  const builtAt = buildTime.toISOString();
  const fileOptions = { keyringPem, slots };
  // the keyring is an input (its text is one of the OS's files): another CA makes another OS version
  const osVersion = osVersionOf(projectVersion, inputsHash({ rootfs: rootfs.key, node: node.version, natives: natives.versions, bundleHash, target: target.name, files: osFiles(target, { version: '', target: target.name, nodeVersion: node.version, builtAt: '', build: 0 }, fileOptions) }));
  const os: OsIdentity = { version: osVersion, target: target.name, nodeVersion: node.version, builtAt, build: Math.floor(buildTime.getTime() / 1000) };
  if (options.reuseBuilt) {
    const built = alreadyBuilt(options.outDir, osVersion, target.name);
    if (built) {
      progress(`reuse: ${path.basename(built.image)} was built from these inputs`);
      fs.rmSync(work, { recursive: true, force: true });
      return { ...built, steps };
    }
  }

  const tree = path.join(work, 'root');
  await step('tree', async () => {
    progress(`tree: the car OS ${osVersion} on the cached root file system`);
    // hard links: fast, and the cached tree stays as it was as long as files are replaced, never edited
    await runTool('cp', ['-al', rootfs.dir, tree]);
    for (const name of fs.readdirSync(path.join(tree, 'etc', 'ssh')).filter((n) => n.startsWith('ssh_host_'))) fs.rmSync(path.join(tree, 'etc', 'ssh', name));
    writeFresh(path.join(tree, 'etc', 'machine-id'), ''); // systemd makes one per boot on a read-only root
    for (const file of osFiles(target, os, fileOptions)) writeFresh(path.join(tree, file.path), file.content, file.mode ?? 0o644);
    for (const link of osLinks()) linkFresh(path.join(tree, link.path), link.target);
    const etc = (name: string): string => fs.readFileSync(path.join(tree, 'etc', name), 'utf8');
    const users = withCarUser({ passwd: etc('passwd'), group: etc('group'), shadow: etc('shadow') });
    writeFresh(path.join(tree, 'etc', 'passwd'), users.passwd);
    writeFresh(path.join(tree, 'etc', 'group'), users.group);
    writeFresh(path.join(tree, 'etc', 'shadow'), users.shadow, 0o640);
    writeFresh(path.join(tree, 'etc', 'edge', 'defaults.json'), `${JSON.stringify({ i2cBus: target.defaultI2cBus, camera: target.defaultCamera, console: target.console })}\n`);
    linkFresh(path.join(tree, 'boot', 'vmlinuz'), `vmlinuz-${kernelRelease}`);
    linkFresh(path.join(tree, 'boot', 'initrd.img'), `initrd.img-${kernelRelease}`);
    if (target.arch === 'arm64') linkFresh(path.join(tree, 'boot', 'dtbs'), `/usr/lib/linux-image-${kernelRelease}`);
    // raspi-firmware's scripts fill /boot/firmware in the tree; the boot partition is mounted over it
    fs.rmSync(path.join(tree, CAR_LAYOUT.boot), { recursive: true, force: true });
    for (const dir of [CAR_LAYOUT.data, CAR_LAYOUT.boot]) fs.mkdirSync(path.join(tree, dir), { recursive: true });
    fs.mkdirSync(path.join(tree, path.dirname(CAR_LAYOUT.node)), { recursive: true });
    fs.copyFileSync(node.binary, path.join(tree, CAR_LAYOUT.node));
    fs.chmodSync(path.join(tree, CAR_LAYOUT.node), 0o755);
    fs.cpSync(bundleDir, path.join(tree, CAR_LAYOUT.app), { recursive: true });
    await runTool('cp', ['-al', natives.dir, path.join(tree, CAR_LAYOUT.app, 'node_modules')]);
    const pruned = pruneModules(path.join(tree, 'usr', 'lib', 'modules'));
    // the image's own depmod (arm64 runs under qemu-user); it replaces its index files (write and
    // rename), so the cached tree's copies stay as they were
    await runTool('chroot', [tree, '/sbin/depmod', '-a', kernelRelease]);
    const modulesDir = path.join(tree, 'usr', 'lib', 'modules', kernelRelease);
    const unloadable = unloadableModules(fs.readFileSync(path.join(modulesDir, 'modules.dep'), 'utf8'), (file) => fs.existsSync(path.join(modulesDir, file)), [...target.modules, ...RAUC_MODULES], fs.readFileSync(path.join(modulesDir, 'modules.builtin'), 'utf8'));
    if (unloadable.length > 0) throw new Error(`the image's kernel could not load the modules its boot loads (image/kernel-modules.ts prunes too much?): ${unloadable.join('; ')}`);
    progress(`tree: left out ${Math.round(pruned / 1e6)} MB of kernel modules a car never loads`);
  });

  const sizes = {
    kernelAndModulesBytes: (await duBytes(path.join(tree, 'usr', 'lib', 'modules'))) + (await duBytes(path.join(tree, 'boot'))),
    nodeBytes: await duBytes(path.join(tree, CAR_LAYOUT.node)),
    addonsBytes: await duBytes(path.join(tree, CAR_LAYOUT.app, 'node_modules')),
    carBundleBytes: (await duBytes(path.join(tree, CAR_LAYOUT.app))) - (await duBytes(path.join(tree, CAR_LAYOUT.app, 'node_modules'))),
    restBytes: 0,
    rootfsUsedBytes: await duBytes(tree),
  };
  sizes.restBytes = sizes.rootfsUsedBytes - sizes.kernelAndModulesBytes - sizes.nodeBytes - sizes.addonsBytes - sizes.carBundleBytes;

  const plan = planPartitions(table, target.arch, { bootMiB: BOOT_MIB, rootSlotMiB: rootSlotMiBFor(sizes.rootfsUsedBytes), dataMiB: DATA_MIB });
  const bootArgs: BootArgs = { console: target.console, extra: target.kernelArgs, slots: slotsOf(plan) };
  const parts = new Map<PartitionRole, string>();
  await step('filesystems', async () => {
    progress(`filesystems: rootA and rootB ${partitionOf(plan, 'rootA').sizeSectors / 2048} MiB each, boot ${BOOT_MIB} MiB, data ${DATA_MIB} MiB (grows at first boot)`);
    for (const role of ['rootA', 'rootB', 'data'] as const) {
      const partition = partitionOf(plan, role);
      const file = path.join(work, `${role}.ext4`);
      await makeExt4(file, partition.label, partition.sizeSectors / 2048, role === 'rootA' ? tree : undefined);
      parts.set(role, file);
    }
    const bootFile = path.join(work, 'boot.vfat');
    await makeBootPartition(target, bootFile, bootArgs, tree, kernelRelease, work);
    parts.set('boot', bootFile);
  });

  fs.mkdirSync(options.outDir, { recursive: true });
  const image = path.join(options.outDir, imageFileName(osVersion, target.name));
  const compressed = `${image}.zst`;
  // written under this build's own names and renamed when whole: a build of the same inputs running
  // at the same time (a prebuild and a test) never writes into this one's files, and a reader never
  // sees half an image
  const partial = `.partial-${process.pid}`;
  const [imagePartial, compressedPartial] = [`${image}${partial}`, `${compressed}${partial}`];
  await step('disk', async () => {
    progress(`disk: ${path.basename(image)} (${Math.round(plan.totalBytes / 1024 / 1024)} MiB, ${table})`);
    await assembleImage(imagePartial, plan, DISK_ID, parts);
  });
  await step('compress', async () => {
    progress(`compress: zstd ${path.basename(compressed)}`);
    await runTool('zstd', ['-q', '-f', '-T0', '-3', imagePartial, '-o', compressedPartial]);
  });

  const partitions = await Promise.all(
    plan.partitions.map(async (partition) => {
      const file = parts.get(partition.role)!;
      return {
        index: partition.index,
        role: partition.role,
        label: partition.label,
        fs: partition.fs,
        offsetBytes: partition.startSector * 512,
        bytes: partition.sizeSectors * 512,
        usedBytes: partition.fs === 'ext4' ? await ext4UsedBytes(file) : fs.statSync(file).size,
        sha256: await sha256File(file),
      };
    }),
  );
  const [imageSha, compressedSha] = await Promise.all([sha256File(imagePartial), sha256File(compressedPartial)]);
  const statusFile = path.join(tree, 'var', 'lib', 'dpkg', 'status');
  const manifest: ImageManifest = {
    schema: 'edge-car-image/1',
    osVersion,
    osBuild: os.build,
    compatible: compatibleOf(target),
    target: target.name,
    arch: target.arch,
    builtAt,
    image: {
      file: path.basename(image),
      bytes: fs.statSync(imagePartial).size,
      sha256: imageSha,
      compressed: { file: path.basename(compressed), bytes: fs.statSync(compressedPartial).size, sha256: compressedSha },
    },
    partitionTable: table,
    partitions,
    node: { version: node.version, package: target.nodePackage },
    carBundle: { sha256: bundleHash, bytes: sizes.carBundleBytes },
    natives: natives.versions,
    kernel: kernelRelease,
    packages: installedPackages(fs.readFileSync(statusFile, 'utf8')),
    sizes,
  };
  const manifestFile = `${image.replace(/\.img$/, '')}.manifest.json`;
  fs.writeFileSync(`${manifestFile}${partial}`, `${JSON.stringify(manifest, null, 2)}\n`);
  // the manifest last: its presence says the image and its compressed copy are whole
  fs.renameSync(imagePartial, image);
  fs.renameSync(compressedPartial, compressed);
  fs.renameSync(`${manifestFile}${partial}`, manifestFile);
  fs.rmSync(work, { recursive: true, force: true });
  return { image, compressed, manifestFile, manifest, steps };
}

/** A complete earlier build of this OS version: the manifest is written last, and the image is the size it records. */
function alreadyBuilt(outDir: string, osVersion: string, target: string): Omit<ImageBuildResult, 'steps'> | undefined {
  const image = path.join(outDir, imageFileName(osVersion, target));
  const manifestFile = `${image.replace(/\.img$/, '')}.manifest.json`;
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ImageManifest;
    if (manifest.osVersion !== osVersion || !Number.isSafeInteger(manifest.osBuild) || fs.statSync(image).size !== manifest.image.bytes) return undefined;
    return { image, compressed: `${image}.zst`, manifestFile, manifest };
  } catch {
    return undefined;
  }
}

/** Root slots A and B of a plan, as the bootloader starts them. */
function slotsOf(plan: PartitionPlan): BootSlot[] {
  return (['A', 'B'] as const).map((name) => {
    const role = name === 'A' ? 'rootA' : 'rootB';
    return { name, partition: partitionOf(plan, role).index, root: partitionReference(plan, role, DISK_ID) };
  });
}

/** The RAUC keyring's PEM text, refused with the reason when it is not one certificate file. */
function readKeyring(file: string): string {
  let text: string;
  try {
    if (fs.statSync(file).size > 64 * 1024) throw new Error('larger than 64 KiB');
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`the RAUC keyring ${file} (the OS code-signing CA's certificate) is not readable: ${(error as Error).message}`);
  }
  if (!/^-----BEGIN CERTIFICATE-----$/m.test(text) || /PRIVATE KEY-----/.test(text)) throw new Error(`the RAUC keyring ${file} must hold the CA's certificate (PEM, -----BEGIN CERTIFICATE-----) and no private key`);
  return text;
}

async function makeBootPartition(target: Target, file: string, bootArgs: BootArgs, tree: string, kernelRelease: string, work: string): Promise<void> {
  if (target.boot === 'grub-efi') {
    const efi = path.join(work, 'BOOTX64.EFI');
    await runTool('grub-mkimage', ['-O', 'x86_64-efi', '-p', '/EFI/BOOT', '-o', efi, ...GRUB_MODULES]);
    // GRUB's environment block, made by the same tool RAUC edits it with on the car
    const grubenv = path.join(work, 'grubenv');
    await runTool('grub-editenv', [grubenv, 'create']);
    await runTool('grub-editenv', [grubenv, 'set', ...GRUBENV_INITIAL]);
    if (fs.statSync(grubenv).size !== GRUBENV_BYTES) throw new Error(`grub-editenv made a grubenv of ${fs.statSync(grubenv).size} bytes, not ${GRUBENV_BYTES}`);
    await makeVfat(file, 'EDGEBOOT', BOOT_MIB, { 'EFI/BOOT/BOOTX64.EFI': fs.readFileSync(efi), 'EFI/BOOT/grub.cfg': grubConfig(bootArgs), 'EFI/BOOT/grubenv': fs.readFileSync(grubenv) });
    return;
  }
  const script = path.join(work, 'boot.cmd');
  const envFile = { name: path.posix.basename(OS_UPDATE_LAYOUT.ubootEnv), bytes: UBOOT_ENV_BYTES, attempts: UBOOT_BOOT_ATTEMPTS };
  fs.writeFileSync(script, ubootScript(bootArgs, envFile));
  // U-Boot's environment file, made by U-Boot's own tool at the size the script exports and fw_env.config names
  const envText = path.join(work, 'uboot-env.txt');
  fs.writeFileSync(envText, `${ubootEnvInitial(UBOOT_BOOT_ATTEMPTS).join('\n')}\n`);
  const envImage = path.join(work, envFile.name);
  await runTool('mkenvimage', ['-s', String(UBOOT_ENV_BYTES), '-o', envImage, envText]);
  if (fs.statSync(envImage).size !== UBOOT_ENV_BYTES) throw new Error(`mkenvimage made a ${envFile.name} of ${fs.statSync(envImage).size} bytes, not ${UBOOT_ENV_BYTES}`);
  const scr = path.join(work, 'boot.scr');
  await runTool('mkimage', ['-A', 'arm64', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'edge car boot', '-d', script, scr]);
  const files: Record<string, string | Buffer> = { 'boot.scr': fs.readFileSync(scr), 'boot.cmd': fs.readFileSync(script), [envFile.name]: fs.readFileSync(envImage) };
  const trees: Record<string, string> = {};
  if (target.boot === 'uboot-rpi') {
    // the GPU firmware and the board's device trees sit on FAT (the firmware reads only FAT); U-Boot starts the slot's kernel
    files['config.txt'] = raspiConfigTxt();
    files['u-boot.bin'] = fs.readFileSync(path.join(tree, 'usr', 'lib', 'u-boot', 'rpi_arm64', 'u-boot.bin'));
    trees[''] = path.join(tree, 'usr', 'lib', 'raspi-firmware');
    const dtbs = path.join(tree, 'usr', 'lib', `linux-image-${kernelRelease}`, 'broadcom');
    for (const dtb of raspiDeviceTrees(fs.readdirSync(dtbs))) files[dtb] = fs.readFileSync(path.join(dtbs, dtb));
  }
  await makeVfat(file, 'EDGEBOOT', BOOT_MIB, files, trees);
}
