/**
 * Hardware in the loop without hardware: boots Debian's kernel under QEMU with the host's file system
 * shared read-only over virtio-9p, loads the kernel's own device emulations (i2c-stub, uhid), runs one
 * shell command inside and hands back its output and exit code. The command runs as root in the host's
 * root file system (chroot), in the project folder, so `node --import tsx <file>` works as on the host.
 *
 * Software emulation (TCG) unless KVM really works: nested KVM is often present but broken (it hangs, or
 * aborts on an MSR), so KVM is tried once per host boot and used only if a guest really boots under it.
 * EDGE_HIL_ACCEL=tcg or kvm skips the probe.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtGpioSim, GPIO_SIM_MODULE } from './gpio-sim-module.ts';
import { BASE_MODULES, buildInitramfs, type Initramfs } from './initramfs.ts';
import { ensureKernel, HIL_CACHE, HilUnavailableError, HOW_TO_GET, PROJECT_ROOT, type GuestKernel } from './kernel.ts';
import { loadOrder } from './modules.ts';

export { HilUnavailableError } from './kernel.ts';

const QEMU = 'qemu-system-x86_64';
const READY = /HIL-READY ([\d.]+)/;
const DONE = /HIL-DONE ([\d.]+)/;
const FAILED = /HIL-FAIL (.*)/;
const GUEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const CONSOLE_TAIL = 4000;

export interface GuestModule {
  /** module name as the kernel spells it, e.g. i2c_stub; its dependencies are loaded first */
  readonly name: string;
  /** insmod parameters, e.g. chip_addr=0x40 */
  readonly params?: string;
}

export interface GuestRunOptions {
  /** a /bin/sh command line, run in `cwd` */
  readonly command: string;
  readonly modules?: readonly GuestModule[];
  /** added to the guest command's environment (PATH, HOME and TMPDIR are set) */
  readonly env?: Readonly<Record<string, string>>;
  /** default: the project root */
  readonly cwd?: string;
  /** guest memory, default 2048 MiB (node and its child processes) */
  readonly memoryMb?: number;
  /** default 2 */
  readonly cpus?: number;
  /** the guest is killed after this long (a hung command must not hang the test run); default 240 s */
  readonly timeoutMs?: number;
}

export interface GuestResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** the serial console: kernel messages, the markers, anything the init wrote */
  readonly console: string;
  readonly accel: 'kvm' | 'tcg';
  /** QEMU start until the guest was ready to run the command (host clock) */
  readonly bootMs: number;
  /** the command itself */
  readonly commandMs: number;
}

/** Single quotes for /bin/sh. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that runs a compiled guest script with the Node that runs the tests: the guest sees the
 * host's root file system, and the project's native addons were built for this Node's ABI (the
 * machine's `node` may be another version).
 */
export function guestNode(script: string): string {
  return `${shellQuote(process.execPath)} ${shellQuote(script)}`;
}

function commandScript(options: GuestRunOptions, cwd: string): string {
  const env: Record<string, string> = { PATH: GUEST_PATH, HOME: '/root', TMPDIR: '/tmp', CI: process.env.CI ?? '', ...options.env };
  const exports = Object.entries(env).map(([key, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name ${JSON.stringify(key)}`);
    return `export ${key}=${shellQuote(value)}`;
  });
  return [...exports, `cd ${shellQuote(cwd)} || exit 97`, options.command, ''].join('\n');
}

/** The modules to insmod after boot, dependencies first, each once; those already loaded at boot are skipped. */
function moduleLines(image: Initramfs, modules: readonly GuestModule[]): string {
  const params = new Map(modules.map((m) => [m.name, m.params ?? '']));
  for (const name of params.keys()) {
    if (!image.modules.includes(name)) throw new Error(`module ${name} is not in the guest image (has: ${image.modules.join(', ')})`);
  }
  const atBoot = new Set(loadOrder(BASE_MODULES, image.dependsOf));
  return loadOrder([...params.keys()], image.dependsOf)
    .filter((name) => !atBoot.has(name))
    .map((name) => `${name} ${params.get(name) ?? ''}`.trimEnd())
    .join('\n')
    .concat('\n');
}

function checkQemu(): void {
  const found = (process.env.PATH ?? '').split(':').some((dir) => dir && fs.existsSync(path.join(dir, QEMU)));
  if (!found) throw new HilUnavailableError(`${QEMU} not found on PATH: ${HOW_TO_GET}`);
}

interface Prepared {
  kernel: GuestKernel;
  image: Initramfs;
}
let prepared: Promise<Prepared> | undefined;

/** Kernel and initramfs, once per process. */
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    checkQemu();
    const kernel = await ensureKernel();
    // the GPIO simulator goes in when it has been built for this kernel (fetch-kernel.ts, ensureGpioSim)
    const gpioSim = builtGpioSim(kernel);
    return { kernel, image: await buildInitramfs(kernel, new Map(gpioSim ? [[GPIO_SIM_MODULE, gpioSim]] : [])) };
  })();
  prepared.catch(() => (prepared = undefined));
  return prepared;
}

interface Boot {
  options: GuestRunOptions;
  accel: 'kvm' | 'tcg';
}

async function boot({ options, accel }: Boot): Promise<GuestResult> {
  const { kernel, image } = await prepare();
  const cwd = path.resolve(options.cwd ?? PROJECT_ROOT);
  const xdir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-hil-'));
  if (/\s/.test(cwd) || /\s/.test(xdir)) throw new Error(`paths shared with the guest must not contain spaces: ${cwd}, ${xdir}`);
  try {
    fs.writeFileSync(path.join(xdir, 'command.sh'), commandScript(options, cwd));
    fs.writeFileSync(path.join(xdir, 'modules'), moduleLines(image, options.modules ?? []));
    const args = [
      '-nodefaults',
      '-no-user-config',
      '-no-reboot',
      '-display', 'none',
      '-monitor', 'none',
      '-serial', 'stdio',
      ...(accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
      '-machine', 'pc',
      '-smp', String(options.cpus ?? 2),
      '-m', String(options.memoryMb ?? 2048),
      '-kernel', kernel.vmlinuz,
      '-initrd', image.file,
      '-append', `console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init hilxdir=${xdir} hilroot=${cwd}`,
      '-fsdev', 'local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap',
      '-device', 'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot',
      '-fsdev', `local,id=xchg,path=${xdir},security_model=none`,
      '-device', 'virtio-9p-pci,fsdev=xchg,mount_tag=xchg',
    ];
    const started = performance.now();
    const qemu = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let consoleText = '';
    let readyAt: number | undefined;
    let doneAt: number | undefined;
    let failure: string | undefined;
    const onOutput = (chunk: Buffer): void => {
      consoleText += chunk.toString('utf8');
      if (readyAt === undefined && READY.test(consoleText)) readyAt = performance.now();
      if (doneAt === undefined && DONE.test(consoleText)) doneAt = performance.now();
      failure ??= FAILED.exec(consoleText)?.[1];
    };
    qemu.stdout.on('data', onOutput);
    qemu.stderr.on('data', onOutput);
    const timeoutMs = options.timeoutMs ?? 240_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, timeoutMs);
    const exit = await new Promise<number | null>((resolve, reject) => {
      qemu.once('error', (error) => reject(new HilUnavailableError(`${QEMU} could not start (${error.message}): ${HOW_TO_GET}`)));
      qemu.once('close', (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    const tail = (): string => consoleText.slice(-CONSOLE_TAIL);
    if (timedOut) throw new Error(`the guest did not finish within ${timeoutMs} ms (${readyAt ? 'command running' : 'still booting'}); console:\n${tail()}`);
    if (failure) throw new Error(`the guest's init failed: ${failure}; console:\n${tail()}`);
    const codeFile = path.join(xdir, 'exit-code');
    if (readyAt === undefined || doneAt === undefined || !fs.existsSync(codeFile)) {
      throw new Error(`${QEMU} exited with ${exit} before the command finished; console:\n${tail()}`);
    }
    return {
      exitCode: Number(fs.readFileSync(codeFile, 'utf8').trim()),
      stdout: fs.readFileSync(path.join(xdir, 'stdout'), 'utf8'),
      stderr: fs.readFileSync(path.join(xdir, 'stderr'), 'utf8'),
      console: consoleText,
      accel,
      bootMs: readyAt - started,
      commandMs: doneAt - readyAt,
    };
  } finally {
    fs.rmSync(xdir, { recursive: true, force: true });
  }
}

/** Whether KVM really runs a guest here; probed once per host boot and remembered in the cache. */
async function kvmWorks(): Promise<boolean> {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return false;
  }
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const verdictFile = path.join(HIL_CACHE, `kvm-${bootId}`);
  if (fs.existsSync(verdictFile)) return fs.readFileSync(verdictFile, 'utf8').trim() === 'works';
  const works = await boot({ options: { command: 'true', timeoutMs: 15_000, memoryMb: 256, cpus: 1 }, accel: 'kvm' }).then(
    (result) => result.exitCode === 0,
    () => false,
  );
  fs.mkdirSync(HIL_CACHE, { recursive: true });
  fs.writeFileSync(verdictFile, works ? 'works\n' : 'fails\n');
  return works;
}

async function chooseAccel(): Promise<'kvm' | 'tcg'> {
  const wanted = process.env.EDGE_HIL_ACCEL ?? 'auto';
  if (wanted === 'tcg' || wanted === 'kvm') return wanted;
  if (wanted !== 'auto') throw new Error(`EDGE_HIL_ACCEL must be tcg, kvm or auto, got ${JSON.stringify(wanted)}`);
  return (await kvmWorks()) ? 'kvm' : 'tcg';
}

/**
 * Boots a guest, runs `options.command` in it and powers it off. Rejects with HilUnavailableError when
 * QEMU, busybox or the kernel package is missing (the message says what to install), and with an Error
 * carrying the console's tail when the guest fails or times out. A non-zero exit code is a result.
 */
export async function runInGuest(options: GuestRunOptions): Promise<GuestResult> {
  await prepare();
  return boot({ options, accel: await chooseAccel() });
}
