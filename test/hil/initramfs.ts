/**
 * The guest's initramfs: static busybox, the /init script beside this file, and the kernel modules the
 * guest may load (decompressed here: busybox's insmod reads plain .ko only). Built with cpio (newc) once
 * per kernel, init script and module set, and cached.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HIL_CACHE, HilUnavailableError, HOW_TO_GET, type GuestKernel } from './kernel.ts';
import { loadOrder, moduleName, readDepends } from './modules.ts';

const run = promisify(execFile);
const INIT_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'init.sh');
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** What the guest needs before anything else: virtio PCI and 9p, to mount the host's file system. */
export const BASE_MODULES = ['virtio_pci', '9pnet_virtio', '9p'] as const;
/** The devices the HIL tests drive; loaded per boot with parameters (see GuestRunOptions.modules). */
export const DEVICE_MODULES = ['i2c_dev', 'i2c_stub', 'hid', 'uhid', 'hid_generic', 'configfs'] as const;

export interface Initramfs {
  readonly file: string;
  /** every module in the image, in a valid load order */
  readonly modules: readonly string[];
  /** a module's direct dependencies (all inside the image) */
  dependsOf(name: string): readonly string[];
}

/** name → file of every module in the kernel package */
function indexModules(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ko(\.xz)?$/.test(entry.name)) index.set(moduleName(entry.name), full);
    }
  };
  walk(path.join(modulesDir, 'kernel'));
  return index;
}

async function moduleBytes(file: string): Promise<Buffer> {
  if (!file.endsWith('.xz')) return fs.readFileSync(file);
  const { stdout } = await run('xz', ['-dc', file], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout;
}

function busybox(): string {
  const found = BUSYBOX_CANDIDATES.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new HilUnavailableError(`static busybox not found (${BUSYBOX_CANDIDATES.join(', ')}): ${HOW_TO_GET}`);
  return found;
}

/**
 * Builds (or reuses) the initramfs for this kernel; `extra` adds modules built here for it (name →
 * .ko file, e.g. gpio_sim: Debian's kernel lacks it), whose dependencies must be the kernel's.
 */
export async function buildInitramfs(kernel: GuestKernel, extra: ReadonlyMap<string, string> = new Map()): Promise<Initramfs> {
  const index = indexModules(kernel.modulesDir);
  for (const [name, file] of extra) index.set(name, file);
  const bytes = new Map<string, Buffer>();
  const dependsOf = (name: string): string[] => {
    const ko = bytes.get(name);
    if (!ko) throw new Error(`kernel ${kernel.release} has no module ${name}`);
    return readDepends(ko);
  };
  // Load the wanted modules' bytes first, then their dependencies as they are discovered.
  const pending = [...BASE_MODULES, ...DEVICE_MODULES, ...extra.keys()] as string[];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (bytes.has(name)) continue;
    const file = index.get(name);
    if (!file) throw new Error(`kernel ${kernel.release} has no module ${name}`);
    const ko = await moduleBytes(file);
    bytes.set(name, ko);
    pending.push(...readDepends(ko));
  }
  const base = loadOrder(BASE_MODULES, dependsOf);
  const modules = loadOrder([...BASE_MODULES, ...DEVICE_MODULES, ...extra.keys()], dependsOf);
  const busyboxPath = busybox();
  const init = fs.readFileSync(INIT_SCRIPT);

  const hash = createHash('sha256');
  hash.update(`${kernel.packageName} ${kernel.version}\0`).update(init).update(fs.readFileSync(busyboxPath));
  for (const name of modules) hash.update(`${name}\0`).update(bytes.get(name)!);
  const file = path.join(HIL_CACHE, 'initramfs', `${kernel.release}-${hash.digest('hex').slice(0, 16)}.cpio`);
  const image: Initramfs = { file, modules, dependsOf };
  if (fs.existsSync(file)) return image;

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(file), '.staging-'));
  try {
    for (const dir of ['bin', 'dev', 'proc', 'sys', 'host', 'etc/hil', 'lib/modules']) fs.mkdirSync(path.join(staging, dir), { recursive: true });
    fs.copyFileSync(busyboxPath, path.join(staging, 'bin/busybox'));
    fs.chmodSync(path.join(staging, 'bin/busybox'), 0o755);
    fs.writeFileSync(path.join(staging, 'init'), init, { mode: 0o755 });
    fs.writeFileSync(path.join(staging, 'etc/hil/base-modules'), `${base.join('\n')}\n`);
    for (const name of modules) fs.writeFileSync(path.join(staging, 'lib/modules', `${name}.ko`), bytes.get(name)!);
    const archive = `${file}.${process.pid}.tmp`;
    try {
      await run('sh', ['-c', `find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet > '${archive}'`], { cwd: staging });
    } catch (error) {
      throw new HilUnavailableError(`cpio failed (${(error as Error).message.trim()}): ${HOW_TO_GET}`);
    }
    fs.renameSync(archive, file);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return image;
}
