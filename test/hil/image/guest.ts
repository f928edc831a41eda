/**
 * The car's OS image under QEMU, as the image tests drive it: builds the image once per target and
 * process, makes a private copy of the disk (grown, so first boot has a card to grow into), adds the
 * test's own reporter to that copy's boot partition, boots it under TCG with the console on a pipe,
 * and waits on what the guest prints, never on a clock.
 *
 * The reporter is test-only and never part of the image: a shell loop the test writes onto the copy's
 * FAT partition and starts through systemd's `systemd.run=` on the kernel command line (edited in the
 * copy's grub.cfg / boot script). systemd then boots into that unit alone, so the script starts
 * `multi-user.target`, the image's own boot, before anything else. Every half second it prints the PCA9685's output registers read back
 * through i2c-dev (`i2cget`) and the car services' memory (RSS and PSS summed), so the test asserts from outside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { buildImage, targetOf, type ImageManifest, type TargetName } from '../../../image/index.ts';
import { HIL_CACHE, PROJECT_ROOT } from '../kernel.ts';
import { runTool } from '../../../image/tools.ts';
import { SHELL_SCRIPT, SHELL_SCRIPT_NAME, SHELL_URL_FILE } from './test-shell.ts';
import { testOsKeys } from './test-os-keys.ts';

export const IMAGE_CACHE = path.join(PROJECT_ROOT, 'data', 'cache', 'image');
const OUT = path.join(HIL_CACHE, 'images');
const REPORTER = 'edge-test-report.sh';
const CONSOLE_KEEP = 2_000_000;

/** Registers 0x08-09 / 0x0C-0D are LED0_OFF / LED1_OFF: the throttle (channel 0) and steering (channel 1) pulse ends, in counts. */
export const REPORTER_SCRIPT = `#!/bin/sh
# test-only (written by test/hil/image): the emulated PCA9685's registers and the car's memory, on the console
# systemd.run= boots into this unit instead of the default target: start the car's system as well.
systemctl --no-block start multi-user.target
# the OS-update tests' root shell (test-shell.ts), when this disk carries one
[ -f /boot/firmware/edge-test-shell.url ] && /usr/local/bin/node /boot/firmware/edge-test-shell.mjs &
# the emulated PCA9685's bus, when the kernel has i2c-stub (Debian's arm64 kernel has not: bus=none)
bus=none
stub_bus() {
  for d in /sys/bus/i2c/devices/i2c-*; do grep -qi stub "$d/name" 2>/dev/null && bus=\${d##*-}; done
}
# i2c-stub keeps a word per register, so a pulse's 12-bit count is read byte by byte (OFF_L, OFF_H)
count() {
  [ "$bus" != none ] || { echo none; return; }
  lo=$(i2cget -y "$bus" 0x40 "$1" b 2>/dev/null) && hi=$(i2cget -y "$bus" 0x40 "$2" b 2>/dev/null) && echo $(( (hi & 0x0f) << 8 | lo )) || echo none
}
# memory every 20th round only: reading smaps under TCG takes seconds, the registers are wanted often
n=0 rss=0 pss=0
while :; do
  [ "$bus" != none ] || stub_bus
  t=$(count 0x08 0x09)
  s=$(count 0x0c 0x0d)
  if [ $((n % 20)) -eq 0 ]; then
    rss=$(ps -u edge -o rss= 2>/dev/null | awk '{s+=$1} END {print s+0}')
    # PSS shares each page among the processes mapping it (node's binary once, not once per service)
    pss=$(for p in $(pgrep -u edge); do cat /proc/$p/smaps_rollup 2>/dev/null; done | awk '/^Pss:/ {s+=$2} END {print s+0}')
  fi
  n=$((n + 1))
  echo "EDGE-TEST bus=$bus throttle=$t steering=$s car_rss_kb=$rss car_pss_kb=$pss" > /dev/console
  sleep 0.5
done
`;
/** FAT gives the script root's rwx (umask 0077), so systemd runs it directly: no quotes to survive GRUB and U-Boot. */
const RUN_ARGS = `systemd.run=/boot/firmware/${REPORTER} systemd.run_success_action=none systemd.run_failure_action=none`;

const builds = new Map<TargetName, Promise<{ image: string; manifest: ImageManifest; seconds: number }>>();

/**
 * The target's image, built once per process and reused when `.ci/run`'s prebuild (or an earlier run)
 * already built these inputs into the same folder; its slow parts are cached by their inputs.
 */
export function testImage(target: TargetName, progress: (line: string) => void = () => undefined): Promise<{ image: string; manifest: ImageManifest; seconds: number }> {
  let build = builds.get(target);
  if (!build) {
    const started = performance.now();
    // the test CA is the test images' RAUC keyring (test-os-keys.ts; .ci/run's prebuild passes the same)
    build = testOsKeys().then((keys) => buildImage({ target: targetOf(target), outDir: path.join(OUT, target), cacheDir: IMAGE_CACHE, projectRoot: PROJECT_ROOT, reuseBuilt: true, keyring: keys.caCert, progress })).then((result) => {
      // older images of this target are dropped: each is a GB
      for (const name of fs.readdirSync(path.join(OUT, target))) if (!name.startsWith(path.basename(result.image).replace(/\.img$/, ''))) fs.rmSync(path.join(OUT, target, name), { recursive: true, force: true });
      return { image: result.image, manifest: result.manifest, seconds: (performance.now() - started) / 1000 };
    });
    builds.set(target, build);
  }
  return build;
}

/**
 * A private, larger copy of the image with the reporter on its boot partition (and the tests' root
 * shell, when `shellUrl` says where the host serves it).
 */
export async function prepareDisk(image: string, dir: string, extraMiB = 512, options: { shellUrl?: string } = {}): Promise<string> {
  const disk = path.join(dir, 'disk.img');
  await runTool('cp', ['--sparse=always', image, disk]);
  fs.truncateSync(disk, fs.statSync(disk).size + extraMiB * 1024 * 1024);
  const fat = `${disk}@@${1024 * 1024}`;
  const script = path.join(dir, REPORTER);
  fs.writeFileSync(script, REPORTER_SCRIPT);
  await runTool('mcopy', ['-i', fat, '-o', script, `::/${REPORTER}`]);
  if (options.shellUrl) {
    for (const [name, content] of [[SHELL_SCRIPT_NAME, SHELL_SCRIPT], [SHELL_URL_FILE, `${options.shellUrl}\n`]] as const) {
      fs.writeFileSync(path.join(dir, name), content);
      await runTool('mcopy', ['-i', fat, '-o', path.join(dir, name), `::/${name}`]);
    }
  }
  for (const config of ['EFI/BOOT/grub.cfg', 'boot.cmd']) {
    const text = await runTool('mtype', ['-i', fat, `::/${config}`]).catch(() => undefined);
    if (text === undefined) continue;
    const local = path.join(dir, path.basename(config));
    if (config.endsWith('grub.cfg')) {
      fs.writeFileSync(local, text.replace(/^(\s*linux .*)$/gm, `$1 ${RUN_ARGS}`));
      await runTool('mcopy', ['-i', fat, '-o', local, `::/${config}`]);
    } else {
      fs.writeFileSync(local, text.replace(/^setenv bootargs "(.*)"$/m, `setenv bootargs "$1 ${RUN_ARGS}"`));
      const scr = path.join(dir, 'boot.scr');
      await runTool('mkimage', ['-A', 'arm64', '-O', 'linux', '-T', 'script', '-C', 'none', '-n', 'edge car boot (test)', '-d', local, scr]);
      await runTool('mcopy', ['-i', fat, '-o', scr, '::/boot.scr']);
    }
  }
  return disk;
}

export interface GuestOptions {
  target: TargetName;
  disk: string;
  dir: string;
  memoryMb?: number;
  cpus?: number;
}

function qemuCommand(options: GuestOptions, monitor: string): { command: string; args: string[] } {
  const memory = String(options.memoryMb ?? 1536);
  const cpus = String(options.cpus ?? 2);
  const common = ['-accel', 'tcg,thread=multi', '-smp', cpus, '-m', memory, '-display', 'none', '-serial', 'stdio', '-monitor', `unix:${monitor},server,nowait`, '-netdev', 'user,id=net0', '-drive', `file=${options.disk},format=raw,if=virtio,cache=unsafe`];
  if (options.target === 'qemu-x86_64') {
    const vars = path.join(options.dir, 'OVMF_VARS.fd');
    if (!fs.existsSync(vars)) fs.copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', vars);
    return {
      command: 'qemu-system-x86_64',
      args: [
        '-machine', 'q35', '-cpu', 'max', ...common,
        '-drive', 'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
        '-drive', `if=pflash,format=raw,unit=1,file=${vars}`,
        '-device', 'virtio-net-pci,netdev=net0',
        // the hardware watchdog systemd pets; 30 s (RuntimeWatchdogSec) survives a loaded host under TCG
        '-device', 'i6300esb', '-action', 'watchdog=reset',
      ],
    };
  }
  return {
    command: 'qemu-system-aarch64',
    args: ['-machine', 'virt', '-cpu', 'cortex-a72', ...common, '-bios', '/usr/lib/u-boot/qemu_arm64/u-boot.bin', '-device', 'virtio-net-pci,netdev=net0'],
  };
}

export class ImageGuest {
  private text = '';
  private offset = 0;
  private exited = false;

  private constructor(
    private readonly qemu: ChildProcess,
    private readonly monitor: string,
    readonly startedAt: number,
    /** the whole console, as it comes, for a person to follow (`tail -f`) or read after a failure */
    readonly consoleFile: string,
  ) {
    const log = fs.createWriteStream(consoleFile);
    qemu.once('exit', () => log.end());
    const take = (chunk: Buffer): void => {
      log.write(chunk);
      this.text += chunk.toString('latin1');
      if (this.text.length > CONSOLE_KEEP) {
        const cut = this.text.length - CONSOLE_KEEP / 2;
        this.text = this.text.slice(cut);
        this.offset += cut;
      }
    };
    qemu.stdout!.on('data', take);
    qemu.stderr!.on('data', take);
    qemu.once('exit', () => (this.exited = true));
  }

  static boot(options: GuestOptions): ImageGuest {
    const monitor = path.join(options.dir, 'monitor.sock');
    fs.rmSync(monitor, { force: true });
    const { command, args } = qemuCommand(options, monitor);
    const qemu = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const guest = new ImageGuest(qemu, monitor, performance.now(), path.join(OUT, `${options.target}-console.log`));
    const stop = (): void => void qemu.kill('SIGKILL');
    process.once('exit', stop);
    qemu.once('exit', () => process.off('exit', stop));
    return guest;
  }

  /** Everything the console printed since `mark` (a position from `mark()`). */
  console(since = 0): string {
    return this.text.slice(Math.max(0, since - this.offset));
  }

  /** A position in the console output, to wait for lines printed after it. */
  mark(): number {
    return this.offset + this.text.length;
  }

  /** Resolves with the first match printed after `since`; rejects when the guest exits or the deadline passes, with the console's tail. */
  async waitFor(pattern: RegExp, what: string, timeoutMs: number, since = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.console(since));
      if (match) return match;
      if (this.exited) throw new Error(`the guest exited before ${what}; console tail (all of it: ${this.consoleFile}):\n${this.text.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; console tail (all of it: ${this.consoleFile}):\n${this.text.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The newest reporter line after `since`. */
  latestReport(since = 0): { bus: string; throttle: number; steering: number; carRssKb: number; carPssKb: number } | undefined {
    const lines = [...this.console(since).matchAll(/EDGE-TEST bus=(\d+|none) throttle=(\d+|none) steering=(\d+|none) car_rss_kb=(\d+) car_pss_kb=(\d+)/g)];
    const last = lines.at(-1);
    if (!last) return undefined;
    return { bus: last[1]!, throttle: Number(last[2]), steering: Number(last[3]), carRssKb: Number(last[4]), carPssKb: Number(last[5]) };
  }

  /** Ctrl-Alt-Del on the guest's keyboard: systemd reboots cleanly. */
  async reboot(): Promise<void> {
    await this.monitorCommand('sendkey ctrl-alt-delete');
  }

  private monitorCommand(command: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.monitor, () => {
        socket.write(`${command}\n`);
        setTimeout(() => socket.end(), 200);
      });
      // the monitor echoes what it reads; unread, its answer holds back the end of the stream, and
      // 'close' (this promise) never comes
      socket.resume();
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.qemu.once('exit', resolve));
    this.qemu.kill('SIGKILL');
    await gone;
  }
}
