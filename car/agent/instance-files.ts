/**
 * One file per running service instance in the car's run directory (`run/agent/<key>.json`): its
 * pid, name, slot, generation, the process's start time and whether it said ready. A restarted agent
 * reads them to adopt the instances its predecessor left running (as balena-supervisor finds its
 * containers again after its own restart), and the start time tells a live instance from a recycled
 * pid. Linux's /proc answers "is this still that process"; elsewhere the pid alone has to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceInstance } from './planner.ts';

export interface InstanceRecord extends ServiceInstance {
  pid: number;
  /** the process's start time as /proc/<pid>/stat gives it (clock ticks since boot); undefined off Linux */
  startTime: number | undefined;
  /** it reported ready (a positive health signal) to the agent that started it */
  ready: boolean;
}

export function instanceKey(instance: ServiceInstance): string {
  return `${instance.name}-${instance.slot}-g${instance.gen}`;
}

interface ProcStat {
  state: string;
  startTime: number;
}

/** Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat; the command name may hold spaces and parentheses. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The start time to record for a process just started (undefined without /proc). */
export function startTimeOf(pid: number): number | undefined {
  return procStat(pid)?.startTime;
}

/** Whether the process the record describes still runs: same pid, same start, not a zombie. */
export function isRunning(record: Pick<InstanceRecord, 'pid' | 'startTime'>): boolean {
  if (!Number.isSafeInteger(record.pid) || record.pid <= 1) return false;
  const stat = procStat(record.pid);
  if (stat === undefined) return record.startTime === undefined && signalZero(record.pid);
  return stat.state !== 'Z' && stat.state !== 'X' && (record.startTime === undefined || stat.startTime === record.startTime);
}

function parseRecord(raw: unknown): InstanceRecord | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.pid !== 'number' || typeof r.name !== 'string' || (r.slot !== 'A' && r.slot !== 'B') || typeof r.gen !== 'number') return undefined;
  return {
    pid: r.pid,
    name: r.name,
    slot: r.slot,
    gen: r.gen,
    startTime: typeof r.startTime === 'number' ? r.startTime : undefined,
    ready: r.ready === true,
  };
}

export class InstanceFiles {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  fileOf(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  write(record: InstanceRecord): void {
    // small and rewritten in place: a torn file reads as unparseable, and that instance is stopped
    fs.writeFileSync(this.fileOf(instanceKey(record)), JSON.stringify(record));
  }

  remove(key: string): void {
    fs.rmSync(this.fileOf(key), { force: true });
  }

  read(key: string): InstanceRecord | undefined {
    try {
      return parseRecord(JSON.parse(fs.readFileSync(this.fileOf(key), 'utf8')));
    } catch {
      return undefined;
    }
  }

  /** Every instance file's key, with its record when it parses. */
  list(): { key: string; record: InstanceRecord | undefined }[] {
    return fs
      .readdirSync(this.dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .map((key) => ({ key, record: this.read(key) }));
  }
}
