/**
 * The agent as process manager of the updatable car services (as balena-supervisor runs containers).
 * An instance is (name, slot, gen); each runs in its own process group with a pidfile, so an agent
 * restarted after a kill -9 finds the instances its predecessor left and stops them before starting
 * its own (no doubled actuator or pilot). Instances the agent wants kept (the committed ones) are
 * restarted with back-off when they crash; a candidate's crash is left for the planner to see.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ExitInfo, RunningService } from './executor.ts';
import type { ServiceInstance } from './planner.ts';

export interface LaunchSpec {
  /** arguments to the service runner, e.g. `car pilot --car 1 --module <file>` */
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface ServiceProcessesOptions {
  /** launcher/run-service.ts */
  runnerPath: string;
  execArgv: string[];
  pidDir: string;
  log: Logger;
  /** whether a crashed instance is restarted (the committed ones are) */
  keepAlive: (instance: ServiceInstance) => boolean;
  stopTimeoutMs?: number;
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** a process that ran this long starts its back-off afresh */
  healthyAfterMs?: number;
}

interface Managed {
  instance: ServiceInstance;
  launch: () => Promise<LaunchSpec>;
  child: ChildProcess | undefined;
  handle: RunningService;
  failures: number;
  startedAt: number;
  stopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
}

interface PidFile {
  pid: number;
  name: string;
  slot: string;
  gen: number;
}

export function instanceKey(instance: ServiceInstance): string {
  return `${instance.name}-${instance.slot}-g${instance.gen}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Guards against a recycled pid: only a service runner is ever killed by pidfile. */
function isServiceRunner(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('run-service');
  } catch {
    return isAlive(pid); // no /proc (not Linux): trust the pidfile
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise<void>((resolve) => setTimeout(resolve, 25));
  }
  return !isAlive(pid);
}

export class ServiceProcesses {
  private readonly managed = new Map<string, Managed>();

  constructor(private readonly options: ServiceProcessesOptions) {
    fs.mkdirSync(options.pidDir, { recursive: true });
  }

  /** The instances with a process (or a pending restart). */
  instances(): ServiceInstance[] {
    return [...this.managed.values()].map((m) => m.instance);
  }

  pidOf(instance: ServiceInstance): number | undefined {
    return this.managed.get(instanceKey(instance))?.child?.pid;
  }

  /** Idempotent: an instance that already runs is returned, not started twice. */
  async start(instance: ServiceInstance, launch: () => Promise<LaunchSpec>): Promise<RunningService> {
    const existing = this.managed.get(instanceKey(instance));
    if (existing && !existing.stopping) return existing.handle;
    const managed: Managed = {
      instance,
      launch,
      child: undefined,
      handle: { healthy: Promise.resolve(), exited: Promise.resolve({ code: null, signal: null }) },
      failures: 0,
      startedAt: 0,
      stopping: false,
      restartTimer: undefined,
    };
    this.managed.set(instanceKey(instance), managed);
    await this.spawn(managed);
    return managed.handle;
  }

  /** SIGTERM to the instance's process group, SIGKILL after the timeout. Stopping what does not run succeeds. */
  async stop(instance: ServiceInstance): Promise<void> {
    const key = instanceKey(instance);
    const managed = this.managed.get(key);
    if (!managed) {
      await this.killByPidFile(key);
      return;
    }
    managed.stopping = true;
    if (managed.restartTimer) clearTimeout(managed.restartTimer);
    const child = managed.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = managed.handle.exited;
      killGroup(child.pid, 'SIGTERM');
      const timeout = this.options.stopTimeoutMs ?? 6000;
      const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeout).unref())]);
      if (!inTime) {
        this.options.log.warn({ instance: key }, 'did not stop in time; killing');
        killGroup(child.pid, 'SIGKILL');
        await exited;
      }
    }
    if (this.managed.get(key) === managed) this.managed.delete(key);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.instances().map((instance) => this.stop(instance)));
  }

  /** Stops every instance a previous agent left running (found by pidfile); returns how many. */
  async killStrays(): Promise<number> {
    let killed = 0;
    for (const name of fs.readdirSync(this.options.pidDir)) {
      if (!name.endsWith('.json')) continue;
      const key = name.slice(0, -'.json'.length);
      if (this.managed.has(key)) continue;
      if (await this.killByPidFile(key)) killed++;
    }
    return killed;
  }

  private pidFile(key: string): string {
    return path.join(this.options.pidDir, `${key}.json`);
  }

  private async killByPidFile(key: string): Promise<boolean> {
    const file = this.pidFile(key);
    let record: PidFile;
    try {
      record = JSON.parse(fs.readFileSync(file, 'utf8')) as PidFile;
    } catch {
      fs.rmSync(file, { force: true });
      return false;
    }
    let killed = false;
    if (Number.isSafeInteger(record.pid) && record.pid > 1 && isAlive(record.pid) && isServiceRunner(record.pid)) {
      this.options.log.warn({ instance: key, pid: record.pid }, 'stopping an instance left by a previous agent');
      killGroup(record.pid, 'SIGTERM');
      if (!(await waitForExit(record.pid, this.options.stopTimeoutMs ?? 6000))) killGroup(record.pid, 'SIGKILL');
      await waitForExit(record.pid, 2000);
      killed = true;
    }
    fs.rmSync(file, { force: true });
    return killed;
  }

  private async spawn(managed: Managed): Promise<void> {
    const key = instanceKey(managed.instance);
    const spec = await managed.launch();
    const child = fork(this.options.runnerPath, spec.args, {
      execArgv: this.options.execArgv,
      env: spec.env,
      // its own process group: the agent can stop the service with everything it started
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    managed.child = child;
    managed.startedAt = Date.now();
    if (child.pid !== undefined) {
      const record: PidFile = { pid: child.pid, name: managed.instance.name, slot: managed.instance.slot, gen: managed.instance.gen };
      fs.writeFileSync(this.pidFile(key), JSON.stringify(record));
    }
    let resolveHealthy!: () => void;
    let rejectHealthy!: (error: Error) => void;
    const healthy = new Promise<void>((resolve, reject) => {
      resolveHealthy = resolve;
      rejectHealthy = reject;
    });
    healthy.catch(() => undefined);
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        rejectHealthy(new Error(`exited before it was ready (${signal ?? `code ${code}`})`));
        resolve({ code, signal });
        this.onExit(managed, child, { code, signal });
      });
    });
    child.on('message', (message) => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready') {
        this.options.log.info({ instance: key, pid: child.pid }, 'instance ready');
        resolveHealthy();
      }
    });
    child.on('error', (error) => this.options.log.error({ err: error, instance: key }, 'instance process error'));
    managed.handle = { healthy, exited };
    this.options.log.info({ instance: key, pid: child.pid, args: spec.args }, 'instance started');
  }

  private onExit(managed: Managed, child: ChildProcess, exit: ExitInfo): void {
    const key = instanceKey(managed.instance);
    if (managed.child !== child) return;
    managed.child = undefined;
    fs.rmSync(this.pidFile(key), { force: true });
    if (managed.stopping) return;
    if (!this.options.keepAlive(managed.instance)) {
      this.options.log.warn({ instance: key, ...exit }, 'instance exited');
      if (this.managed.get(key) === managed) this.managed.delete(key);
      return;
    }
    const ran = Date.now() - managed.startedAt;
    managed.failures = ran >= (this.options.healthyAfterMs ?? 30_000) ? 1 : managed.failures + 1;
    const initial = this.options.restartInitialMs ?? 500;
    const delay = Math.min(this.options.restartMaxMs ?? 10_000, initial * 2 ** (managed.failures - 1));
    this.options.log.warn({ instance: key, ...exit, restartInMs: delay }, 'instance exited; restarting');
    managed.restartTimer = setTimeout(() => {
      managed.restartTimer = undefined;
      if (managed.stopping || this.managed.get(key) !== managed) return;
      this.spawn(managed).catch((error: unknown) => this.options.log.error({ err: error, instance: key }, 'restart failed'));
    }, delay);
  }
}
