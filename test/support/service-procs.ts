/**
 * Test and benchmark support: the platform's service processes as the kernel sees them (/proc),
 * found by their runner's arguments and the data directory in their environment, with their memory
 * and CPU time. Linux only, as the platform's tests that use it.
 */
import fs from 'node:fs';

export interface ServiceProc {
  pid: number;
  scope: 'car' | 'nuc';
  /** the car id for car services */
  car: string | undefined;
  name: string;
}

const RUNNER = /run-service\.(ts|js)$/;

/** Every `run-service <scope> <name>` process whose EDGE_DATA_DIR is `dataDir`. */
export function serviceProcs(dataDir: string): ServiceProc[] {
  const found: ServiceProc[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = argv.findIndex((arg) => RUNNER.test(arg));
      const scope = argv[at + 1];
      if (at < 0 || (scope !== 'car' && scope !== 'nuc')) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!env.includes(`EDGE_DATA_DIR=${dataDir}`)) continue;
      const carAt = argv.indexOf('--car', at);
      found.push({ pid: Number(entry), scope, car: scope === 'car' ? (carAt > 0 ? argv[carAt + 1] : '1') : undefined, name: argv[at + 2] ?? '' });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** The pids of this data directory's processes running `run-service car <name>`. */
export function servicePids(platform: { dataDir: string }, name: string): number[] {
  return serviceProcs(platform.dataDir)
    .filter((p) => p.scope === 'car' && p.name === name)
    .map((p) => p.pid);
}

export interface ProcUsage {
  /** resident set size, bytes */
  rss: number;
  /** proportional set size (shared pages split among their sharers), bytes; undefined without smaps_rollup */
  pss: number | undefined;
  /** user + system CPU time so far, ms */
  cpuMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function procUsage(pid: number): ProcUsage | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    let rss = 0;
    let pss: number | undefined;
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss = Number(/^Rss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
      pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    }
    return { rss, pss, cpuMs };
  } catch {
    return undefined;
  }
}

/**
 * Kills (SIGKILL) whatever service process of this data directory still runs: car services outlive
 * their agent on purpose, so a test whose launcher had to be killed must not leave them behind.
 * Returns how many there were.
 */
export function killLeftovers(dataDir: string): number {
  const left = serviceProcs(dataDir);
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return left.length;
}
