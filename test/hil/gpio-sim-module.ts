/**
 * The kernel's GPIO simulator (gpio-sim, configfs) for the guest. Debian builds its kernels without it
 * (CONFIG_GPIO_SIM is not set in bookworm's 6.1, nor in trixie's 6.12), and without the interrupt
 * simulator it needs (CONFIG_IRQ_SIM), so it is built here as an out-of-tree module from Debian's own
 * packages of the guest kernel's exact version: the driver and kernel/irq/irq_sim.c from
 * linux-source-<major.minor>, compiled together against linux-headers-<release> with linux-kbuild's
 * tools. One change to the kernel's code: irq_sim calls `generic_handle_irq(irq)` instead of
 * `handle_simple_irq(irq_to_desc(irq))`, the same handler reached through an exported function
 * (irq_to_desc is not exported to modules). The module is unsigned: Debian's kernel loads it (taint
 * only; module signatures are not enforced without Secure Boot).
 *
 * Cached per kernel package version under the HIL cache; `fetch-kernel.ts` (and so .ci/run) builds it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HIL_CACHE, HilUnavailableError, type GuestKernel } from './kernel.ts';

const run = promisify(execFile);

/** The module as the guest names it (insmod, GuestRunOptions.modules). */
export const GPIO_SIM_MODULE = 'gpio_sim';
const SOURCES = ['drivers/gpio/gpio-sim.c', 'drivers/gpio/gpiolib.h', 'kernel/irq/irq_sim.c'];
const HOW = 'needs apt lists (apt-get update), gcc and make';

const moduleFile = (kernel: GuestKernel): string => path.join(HIL_CACHE, 'gpio-sim', `${kernel.packageName}_${kernel.version}`, 'gpio-sim.ko');

/** The built module for this kernel, if it is in the cache. */
export function builtGpioSim(kernel: GuestKernel): string | undefined {
  const file = moduleFile(kernel);
  return fs.existsSync(file) ? file : undefined;
}

/** The Debian packages the build needs, by the guest kernel's release (6.1.0-57-amd64) and version. */
export function buildPackages(kernel: GuestKernel): { source: string; headers: string[] } {
  const match = /^(\d+\.\d+)\.\d+-(\d+)-(\w+)$/.exec(kernel.release);
  if (!match) throw new HilUnavailableError(`cannot tell the header packages of kernel release ${kernel.release}`);
  const [, series, abi, flavour] = match;
  const pin = (name: string): string => `${name}=${kernel.version}`;
  return {
    source: pin(`linux-source-${series}`),
    headers: [pin(`linux-headers-${series}.0-${abi}-${flavour}`), pin(`linux-headers-${series}.0-${abi}-common`), pin(`linux-kbuild-${series}`)],
  };
}

async function step(what: string, command: string, args: string[], options: { cwd?: string } = {}): Promise<void> {
  try {
    await run(command, args, { ...options, maxBuffer: 64 << 20 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message?: string };
    const detail = (e.stderr || e.stdout || e.message || String(error)).trim().split('\n').slice(-6).join('\n');
    throw new HilUnavailableError(`gpio-sim module: ${what} failed (${HOW}):\n${detail}`);
  }
}

/** Builds gpio-sim.ko for this kernel (once; cached) and returns its path. */
export async function ensureGpioSim(kernel: GuestKernel): Promise<string> {
  const cached = builtGpioSim(kernel);
  if (cached) return cached;
  const packages = buildPackages(kernel);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-gpio-sim-'));
  try {
    await step('apt-get download', 'apt-get', ['download', packages.source, ...packages.headers], { cwd: scratch });
    const debs = fs.readdirSync(scratch).filter((name) => name.endsWith('.deb'));
    const root = path.join(scratch, 'root');
    for (const deb of debs.filter((name) => !name.startsWith('linux-source-'))) await step(`unpacking ${deb}`, 'dpkg-deb', ['-x', path.join(scratch, deb), root]);
    const sourceDeb = debs.find((name) => name.startsWith('linux-source-'));
    if (!sourceDeb) throw new HilUnavailableError(`gpio-sim module: apt-get download left no linux-source package (${HOW})`);
    const series = /^linux-source-(\d+\.\d+)_/.exec(sourceDeb)![1]!;
    const top = `linux-source-${series}`;
    const src = path.join(scratch, 'src');
    fs.mkdirSync(src);
    // three files out of the kernel's source tarball, streamed (the tarball is ~140 MB compressed)
    await step(
      'extracting the driver sources',
      'sh',
      ['-c', `dpkg-deb --fsys-tarfile "$0" | tar -xO ./usr/src/${top}.tar.xz | xz -dc | tar -x -C "$1" ${SOURCES.map((file) => `'${top}/${file}'`).join(' ')}`, path.join(scratch, sourceDeb), src],
    );
    const mod = path.join(scratch, 'mod');
    fs.mkdirSync(mod);
    fs.copyFileSync(path.join(src, top, 'drivers/gpio/gpio-sim.c'), path.join(mod, 'gpio-sim-main.c'));
    fs.copyFileSync(path.join(src, top, 'drivers/gpio/gpiolib.h'), path.join(mod, 'gpiolib.h'));
    const irqSim = fs.readFileSync(path.join(src, top, 'kernel/irq/irq_sim.c'), 'utf8');
    const patched = irqSim.replace('handle_simple_irq(irq_to_desc(irqnum));', 'generic_handle_irq(irqnum);');
    if (patched === irqSim) throw new HilUnavailableError('gpio-sim module: irq_sim.c no longer calls handle_simple_irq(irq_to_desc(irqnum)); the build needs a look');
    fs.writeFileSync(path.join(mod, 'irq_sim.c'), patched);
    fs.writeFileSync(path.join(mod, 'Kbuild'), 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n');
    // the headers package's Makefile includes the common part by its installed path: point it here
    const headers = fs.readdirSync(path.join(root, 'usr/src')).find((name) => name === `linux-headers-${kernel.release}`);
    if (!headers) throw new HilUnavailableError(`gpio-sim module: linux-headers-${kernel.release} did not unpack`);
    const makefile = path.join(root, 'usr/src', headers, 'Makefile');
    fs.writeFileSync(makefile, fs.readFileSync(makefile, 'utf8').replaceAll('/usr/src/', `${path.join(root, 'usr/src')}/`));
    await step('make', 'make', ['-C', path.join(root, 'usr/src', headers), `M=${mod}`, 'modules']);
    const target = moduleFile(kernel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(mod, 'gpio-sim.ko'), `${target}.${process.pid}.tmp`);
    fs.renameSync(`${target}.${process.pid}.tmp`, target);
    return target;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
