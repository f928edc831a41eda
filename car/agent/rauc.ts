/**
 * The RAUC command line tool, as the agent uses it: install a local bundle, read the slots' status
 * (`rauc status --detailed --output-format=json`, parsed as hostile input), mark the booted slot
 * good or bad. Each call is bounded in time and output; a failure names the command and RAUC's own
 * words (its stderr). The install itself runs in RAUC's service (the image runs it at the lowest
 * CPU and I/O priority); the CLI that waits for it is lowered too, so neither competes with driving.
 */
import fs from 'node:fs';
import { execFile, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { OS_PRE_INSTALL_REFUSAL_FILE } from '../../runtime/index.ts';
import type { Slot } from './state.ts';

export type RaucSlotState = 'good' | 'bad' | 'inactive';

export interface RaucSlot {
  /** RAUC's slot name, e.g. rootfs.1 */
  name: string;
  /** RAUC's boot status of the slot ('inactive': never installed and not booted) */
  state: RaucSlotState;
  /** the version of the bundle installed into it, when RAUC installed one */
  version?: string;
}

export interface RaucStatus {
  compatible: string;
  booted: Slot;
  /** the slot the bootloader tries first, when RAUC knows it */
  primary?: Slot;
  slots: Record<Slot, RaucSlot>;
}

export class RaucError extends Error {
  override name = 'RaucError';
}

const Text = (max: number) => Type.String({ maxLength: max });
const SlotInfo = Type.Object({
  class: Text(64),
  bootname: Type.Optional(Type.Union([Text(64), Type.Null()])),
  state: Type.Optional(Text(64)),
  boot_status: Type.Optional(Type.Union([Text(64), Type.Null()])),
  slot_status: Type.Optional(
    Type.Object({
      bundle: Type.Optional(Type.Object({ version: Type.Optional(Type.Union([Text(256), Type.Null()])) })),
    }),
  ),
});
const StatusJson = Type.Object({
  compatible: Text(256),
  booted: Type.Union([Text(64), Type.Null()]),
  boot_primary: Type.Optional(Type.Union([Text(64), Type.Null()])),
  slots: Type.Array(Type.Record(Type.String({ maxLength: 64 }), SlotInfo), { maxItems: 64 }),
});
const checkStatus = TypeCompiler.Compile(StatusJson);
type StatusJson = Static<typeof StatusJson>;

const MAX_OUTPUT = 1 << 20;

/** Parses `rauc status --detailed --output-format=json`; throws a RaucError naming the bad field. */
export function parseRaucStatus(text: string, kernelSlot?: Slot): RaucStatus {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new RaucError(`rauc status: not JSON: ${JSON.stringify(text.slice(0, 120))}`);
  }
  if (!checkStatus.Check(data)) {
    const first = checkStatus.Errors(data).First();
    throw new RaucError(`rauc status: invalid at ${first?.path || '/'}: ${first?.message ?? 'unknown error'}`);
  }
  const status: StatusJson = data;
  const byBootname = new Map<string, { name: string; info: Static<typeof SlotInfo> }>();
  for (const entry of status.slots) {
    for (const [name, info] of Object.entries(entry)) {
      if (info.class !== 'rootfs' || !info.bootname) continue;
      byBootname.set(info.bootname, { name, info });
    }
  }
  // RAUC 1.8 once said booted: null right after a GRUB fallback (A primary and good); the kernel's
  // command line (rauc.slot=, what GRUB booted) is then the word on it
  const booted = status.booted === 'A' || status.booted === 'B' ? status.booted : kernelSlot;
  if (booted !== 'A' && booted !== 'B') throw new RaucError(`rauc status: booted is ${JSON.stringify(status.booted)}, not A or B (rauc.slot= missing from the kernel command line?)`);
  const slot = (bootname: Slot): RaucSlot => {
    const found = byBootname.get(bootname);
    if (!found) throw new RaucError(`rauc status: no rootfs slot with bootname ${bootname}`);
    const { name, info } = found;
    const version = info.slot_status?.bundle?.version ?? undefined;
    const boot = info.boot_status;
    let state: RaucSlotState;
    if (boot === 'good') state = 'good';
    else if (version === undefined && bootname !== booted) state = 'inactive';
    else state = 'bad';
    return { name, state, ...(version ? { version } : {}) };
  };
  const slots = { A: slot('A'), B: slot('B') };
  const primaryName = status.boot_primary ?? undefined;
  const primary = (['A', 'B'] as const).find((s) => slots[s].name === primaryName);
  return { compatible: status.compatible, booted, ...(primary ? { primary } : {}), slots };
}

/** The slot GRUB or U-Boot booted, from the kernel command line's `rauc.slot=`. Pure. */
export function kernelSlot(cmdline: string): Slot | undefined {
  const slot = /(?:^|\s)rauc\.slot=([AB])(?:\s|$)/.exec(cmdline.slice(0, 4096))?.[1];
  return slot === 'A' || slot === 'B' ? slot : undefined;
}

function readCmdline(): string {
  try {
    return fs.readFileSync('/proc/cmdline', 'utf8');
  } catch {
    return '';
  }
}

/** The handler's one-line reason, if written since `sinceMs`; bounded, printable only. */
export function handlerRefusal(file: string, sinceMs: number): string | undefined {
  try {
    if (fs.statSync(file).mtimeMs < sinceMs - 1000) return undefined;
    const text = fs.readFileSync(file, 'utf8').slice(0, 500).split('\n')[0]!.replace(/[^\x20-\x7e]/g, '?').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

export interface RaucOptions {
  /** the image's pre-install handler's refusal file (tests name another) */
  refusalFile?: string;
  /** the rauc CLI (car.agent.rauc) */
  cli: string;
  /** limit for status and mark calls; default 30 s */
  timeoutMs?: number;
  /** limit for an install; default 30 min */
  installTimeoutMs?: number;
}

/** What the agent asks of RAUC (the CLI below, or a test's stand-in). */
export interface RaucControl {
  status(): Promise<RaucStatus>;
  install(bundle: string): Promise<void>;
  markGood(): Promise<void>;
  markBad(): Promise<void>;
}

export class Rauc implements RaucControl {
  constructor(private readonly options: RaucOptions) {}

  async status(): Promise<RaucStatus> {
    return parseRaucStatus(await this.run(['status', '--detailed', '--output-format=json']), kernelSlot(readCmdline()));
  }

  /** Installs a local bundle into the inactive slot (RAUC checks signature, compatible and the image's handler the build). */
  async install(bundle: string): Promise<void> {
    const started = Date.now();
    try {
      await this.run(['install', bundle], { timeoutMs: this.options.installTimeoutMs ?? 30 * 60_000, lowPriority: true });
    } catch (error) {
      // RAUC 1.8 says only "Pre-install handler error: Child process exited with code 1"; the image's
      // handler leaves its reason in a file: the one written during this install is added
      const reason = handlerRefusal(this.options.refusalFile ?? OS_PRE_INSTALL_REFUSAL_FILE, started);
      if (reason && error instanceof RaucError) throw new RaucError(`${error.message}: ${reason}`);
      throw error;
    }
  }

  async markGood(): Promise<void> {
    await this.run(['status', 'mark-good', 'booted']);
  }

  async markBad(): Promise<void> {
    await this.run(['status', 'mark-bad', 'booted']);
  }

  private run(args: string[], options: { timeoutMs?: number; lowPriority?: boolean } = {}): Promise<string> {
    const command = `${this.options.cli} ${args.join(' ')}`;
    const timeout = options.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = execFile(this.options.cli, args, { timeout, maxBuffer: MAX_OUTPUT, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
          if (!error) {
            resolve(stdout);
            return;
          }
          const said = (stderr || stdout || '').trim().slice(-1000);
          const how = error.killed ? `timed out after ${timeout} ms` : error.code === 'ENOENT' ? 'not found' : `failed (${error.code ?? error.signal ?? error.message})`;
          reject(new RaucError(`${command}: ${how}${said ? `: ${said}` : ''}`));
        });
      } catch (error) {
        reject(new RaucError(`${command}: ${(error as Error).message}`));
        return;
      }
      if (options.lowPriority && child.pid !== undefined) {
        try {
          os.setPriority(child.pid, 19);
        } catch {
          // not allowed here: RAUC's service does the work at its own (lowest) priority anyway
        }
      }
    });
  }
}
