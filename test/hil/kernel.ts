/**
 * Debian's own kernel for the guest: `linux-image-amd64` is a metapackage, so its dependency names the
 * real `linux-image-<release>-amd64` package. That package is fetched with `apt-get download` (no root,
 * nothing installed) and unpacked with `dpkg-deb -x` into the cache, one folder per package version.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Git-ignored (data/); EDGE_HIL_CACHE moves it, e.g. to a CI cache volume. */
export const HIL_CACHE = process.env.EDGE_HIL_CACHE ?? path.join(PROJECT_ROOT, 'data/cache/hil');
const KERNEL_CACHE = path.join(HIL_CACHE, 'kernel');
const COMPLETE = '.unpacked';
const METAPACKAGE = 'linux-image-amd64';

/** QEMU, busybox or the kernel package cannot be had here: the message says what to install. */
export class HilUnavailableError extends Error {
  override name = 'HilUnavailableError';
}

export interface GuestKernel {
  /** the package and its version, e.g. linux-image-6.1.0-57-amd64 6.1.192-3 */
  readonly packageName: string;
  readonly version: string;
  /** `uname -r` of the guest, e.g. 6.1.0-57-amd64 */
  readonly release: string;
  readonly vmlinuz: string;
  readonly modulesDir: string;
}

interface PackageVersion {
  packageName: string;
  version: string;
}

const HOW_TO_GET = `run .ci/run, or: apt-get update && apt-get install qemu-system-x86 busybox-static cpio i2c-tools libusb-1.0-0 && node --import tsx test/hil/fetch-kernel.ts`;

/** The real kernel package behind the metapackage, as apt sees it now; undefined without apt lists. */
async function candidatePackage(): Promise<PackageVersion | undefined> {
  try {
    const { stdout: depends } = await run('apt-cache', ['depends', METAPACKAGE]);
    const packageName = /Depends:\s*(linux-image-\S+-amd64)/.exec(depends)?.[1];
    if (!packageName) return undefined;
    const { stdout: show } = await run('apt-cache', ['show', '--no-all-versions', packageName]);
    const version = /^Version:\s*(\S+)/m.exec(show)?.[1];
    return version ? { packageName, version } : undefined;
  } catch {
    return undefined;
  }
}

const folderOf = (p: PackageVersion): string => path.join(KERNEL_CACHE, `${p.packageName}_${p.version}`);

function describeUnpacked(folder: string): GuestKernel | undefined {
  if (!fs.existsSync(path.join(folder, COMPLETE))) return undefined;
  const [packageName = '', version = ''] = path.basename(folder).split('_');
  const root = path.join(folder, 'root');
  const boot = path.join(root, 'boot');
  const image = fs.readdirSync(boot).find((name) => name.startsWith('vmlinuz-'));
  if (!image) return undefined;
  const release = image.slice('vmlinuz-'.length);
  const modulesDir = ['lib/modules', 'usr/lib/modules'].map((dir) => path.join(root, dir, release)).find((dir) => fs.existsSync(dir));
  if (!modulesDir) return undefined;
  return { packageName, version, release, vmlinuz: path.join(boot, image), modulesDir };
}

/** The newest kernel already unpacked in the cache (for a machine without apt lists). */
function newestCached(): GuestKernel | undefined {
  if (!fs.existsSync(KERNEL_CACHE)) return undefined;
  const folders = fs
    .readdirSync(KERNEL_CACHE)
    .map((name) => path.join(KERNEL_CACHE, name))
    .filter((folder) => fs.existsSync(path.join(folder, COMPLETE)))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  for (const folder of folders) {
    const kernel = describeUnpacked(folder);
    if (kernel) return kernel;
  }
  return undefined;
}

/** Downloads and unpacks one package version; concurrent callers (test files in parallel) may race. */
async function unpack(p: PackageVersion): Promise<void> {
  fs.mkdirSync(KERNEL_CACHE, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(KERNEL_CACHE, '.fetch-'));
  try {
    try {
      await run('apt-get', ['download', `${p.packageName}=${p.version}`], { cwd: scratch, maxBuffer: 16 << 20 });
    } catch (error) {
      throw new HilUnavailableError(`apt-get download ${p.packageName}=${p.version} failed (${firstLine(error)}): ${HOW_TO_GET}`);
    }
    const deb = fs.readdirSync(scratch).find((name) => name.endsWith('.deb'));
    if (!deb) throw new HilUnavailableError(`apt-get download ${p.packageName} left no .deb: ${HOW_TO_GET}`);
    const root = path.join(scratch, 'unpacked', 'root');
    fs.mkdirSync(root, { recursive: true });
    await run('dpkg-deb', ['-x', path.join(scratch, deb), root]);
    fs.writeFileSync(path.join(scratch, 'unpacked', COMPLETE), `${p.packageName} ${p.version}\n`);
    try {
      fs.renameSync(path.join(scratch, 'unpacked'), folderOf(p));
    } catch (error) {
      // another process unpacked the same version first: use theirs
      if (!describeUnpacked(folderOf(p))) throw error;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function firstLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim().split('\n').at(-1) ?? '';
}

/**
 * The guest kernel: apt's current candidate (fetched and unpacked once), else the newest one in the
 * cache. Throws HilUnavailableError saying what to run when neither can be had.
 */
export async function ensureKernel(): Promise<GuestKernel> {
  const candidate = await candidatePackage();
  if (candidate) {
    const cached = describeUnpacked(folderOf(candidate));
    if (cached) return cached;
    await unpack(candidate);
    const kernel = describeUnpacked(folderOf(candidate));
    if (!kernel) throw new HilUnavailableError(`${candidate.packageName} ${candidate.version} has no /boot/vmlinuz-* and modules`);
    return kernel;
  }
  const cached = newestCached();
  if (cached) return cached;
  throw new HilUnavailableError(`no Debian kernel package: apt-cache knows no ${METAPACKAGE} and none is cached in ${KERNEL_CACHE}: ${HOW_TO_GET}`);
}

export { HOW_TO_GET };
