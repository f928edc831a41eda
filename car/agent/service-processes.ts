/**
 * The agent as process manager of the updatable car services (as balena-supervisor runs containers).
 * An instance is (name, slot, gen); each runs in its own process group with an instance file in the
 * run directory, and outlives the agent: a restarted agent (after a crash or a kill -9) adopts the
 * instances it wants from the files its predecessor left, so the actuator, camera and pilot never
 * stop for an agent restart, and stops the rest (no doubled actuator or pilot). An adopted process
 * is no child of this agent: its exit is noticed by watching its pid, its health by hearing it on
 * the bus. Instances the agent wants kept (the committed ones) are restarted with back-off when they
 * crash, adopted or not; a candidate's crash is left for the planner to see.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { ExitInfo, RunningService } from './executor.ts';
import { InstanceFiles, instanceKey, isRunning, startTimeOf, type InstanceRecord } from './instance-files.ts';
import type { ServiceInstance } from './planner.ts';

export { instanceKey };

export interface LaunchSpec {
  /** arguments to the service runner, e.g. `car pilot --car 1 --module <file>` */
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** The runner flag that keeps a service running when its agent goes away, waiting to be adopted. */
export const OUTLIVE_FLAG = '--outlive-supervisor';
/** Sent to an adopted process: it has a supervisor again. */
export const ADOPTED_SIGNAL: NodeJS.Signals = 'SIGUSR2';
/** How often an adopted process's pid is checked. */
const WATCH_MS = 100;

export interface ServiceProcessesOptions {
  /** the service runner: launcher/run-service.ts, or its bundle */
  runnerPath: string;
  /** node flags for a service's process (the runner's, as the agent's own, and the service's) */
  execArgvOf: (name: string) => string[];
  /** where the instance files live */
  pidDir: string;
  log: Logger;
  /** whether a crashed instance is restarted (the committed ones are) */
  keepAlive: (instance: ServiceInstance) => boolean;
  /** resolves once the bus has heard from this process (an adopted instance's health); default: at once */
  heardFrom?: (pid: number) => Promise<void>;
  stopTimeoutMs?: number;
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** a process that ran this long starts its back-off afresh */
  healthyAfterMs?: number;
}

/** The process of a managed instance: a child this agent forked, or one it adopted. */
type ServiceProcess = { kind: 'child'; child: ChildProcess } | { kind: 'adopted'; record: InstanceRecord; watch: NodeJS.Timeout };

interface Managed {
  instance: ServiceInstance;
  launch: () => Promise<LaunchSpec>;
  process: ServiceProcess | undefined;
  handle: RunningService;
  failures: number;
  startedAt: number;
  stopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  /** the current process said ready (an adopted one: was heard on the bus) and has not exited since */
  ready: boolean;
}

export interface Adoption {
  adopted: ServiceInstance[];
  /** instances left by a previous agent that were not wanted (or not known healthy), now stopped */
  stopped: number;
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

async function waitForExit(record: Pick<InstanceRecord, 'pid' | 'startTime'>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) return true;
    await new Promise<void>((resolve) => setTimeout(resolve, 25));
  }
  return !isRunning(record);
}

function pidOfProcess(running: ServiceProcess | undefined): number | undefined {
  if (!running) return undefined;
  return running.kind === 'child' ? running.child.pid : running.record.pid;
}

export class ServiceProcesses {
  private readonly managed = new Map<string, Managed>();
  private readonly files: InstanceFiles;

  constructor(private readonly options: ServiceProcessesOptions) {
    this.files = new InstanceFiles(options.pidDir);
  }

  /** The instances with a process (or a pending restart). */
  instances(): ServiceInstance[] {
    return [...this.managed.values()].map((m) => m.instance);
  }

  /** Whether this instance's current process has said it is ready (and not exited since). */
  isReady(instance: ServiceInstance): boolean {
    const managed = this.managed.get(instanceKey(instance));
    return managed !== undefined && managed.process !== undefined && managed.ready;
  }

  pidOf(instance: ServiceInstance): number | undefined {
    return pidOfProcess(this.managed.get(instanceKey(instance))?.process);
  }

  /** Idempotent: an instance that already runs (started or adopted) is returned, not started twice. */
  async start(instance: ServiceInstance, launch: () => Promise<LaunchSpec>): Promise<RunningService> {
    const existing = this.managed.get(instanceKey(instance));
    if (existing && !existing.stopping) {
      existing.launch = launch;
      return existing.handle;
    }
    const managed = this.manage(instance, launch);
    await this.spawn(managed);
    return managed.handle;
  }

  /**
   * After the agent's own (re)start: takes over every instance a previous agent left running that
   * `wanted` says to keep and that had reported ready, and stops the others. The adopted ones are
   * supervised from here on like those this agent starts (`launch` is how each is restarted).
   */
  async adopt(wanted: (instance: ServiceInstance) => boolean, launch: (instance: ServiceInstance) => () => Promise<LaunchSpec>): Promise<Adoption> {
    const adopted: ServiceInstance[] = [];
    let stopped = 0;
    for (const { key, record } of this.files.list()) {
      if (this.managed.has(key)) continue;
      if (record && isRunning(record) && record.ready && wanted(record)) {
        const instance: ServiceInstance = { name: record.name, slot: record.slot, gen: record.gen };
        const managed = this.manage(instance, launch(instance));
        this.watchAdopted(managed, record);
        // a new supervisor is there: the process stops waiting to be adopted (the process only:
        // what it runs itself, e.g. a camera command, would take the signal as a kill)
        try {
          process.kill(record.pid, ADOPTED_SIGNAL);
        } catch {
          // gone since the check: the watch notices and restarts it
        }
        this.options.log.info({ instance: key, pid: record.pid }, 'adopted an instance a previous agent started');
        adopted.push(instance);
      } else if (await this.killByFile(key)) {
        stopped++;
      }
    }
    return { adopted, stopped };
  }

  /** SIGTERM to the instance's process group, SIGKILL after the timeout. Stopping what does not run succeeds. */
  async stop(instance: ServiceInstance): Promise<void> {
    const key = instanceKey(instance);
    const managed = this.managed.get(key);
    if (!managed) {
      await this.killByFile(key);
      return;
    }
    managed.stopping = true;
    if (managed.restartTimer) clearTimeout(managed.restartTimer);
    const pid = pidOfProcess(managed.process);
    if (pid !== undefined && managed.process && this.stillRunning(managed.process)) {
      const exited = managed.handle.exited;
      killGroup(pid, 'SIGTERM');
      const timeout = this.options.stopTimeoutMs ?? 6000;
      const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeout).unref())]);
      if (!inTime) {
        this.options.log.warn({ instance: key }, 'did not stop in time; killing');
        killGroup(pid, 'SIGKILL');
        await exited;
      }
    }
    if (this.managed.get(key) === managed) this.managed.delete(key);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.instances().map((instance) => this.stop(instance)));
  }

  private manage(instance: ServiceInstance, launch: () => Promise<LaunchSpec>): Managed {
    const managed: Managed = {
      instance,
      launch,
      process: undefined,
      handle: { healthy: Promise.resolve(), exited: Promise.resolve({ code: null, signal: null }) },
      failures: 0,
      startedAt: 0,
      stopping: false,
      restartTimer: undefined,
      ready: false,
    };
    this.managed.set(instanceKey(instance), managed);
    return managed;
  }

  private stillRunning(running: ServiceProcess): boolean {
    if (running.kind === 'adopted') return isRunning(running.record);
    return running.child.exitCode === null && running.child.signalCode === null;
  }

  /** Stops an instance known only by its file (left by a previous agent); returns whether one ran. */
  private async killByFile(key: string): Promise<boolean> {
    const record = this.files.read(key);
    let killed = false;
    if (record && isRunning(record)) {
      this.options.log.warn({ instance: key, pid: record.pid }, 'stopping an instance left by a previous agent');
      killGroup(record.pid, 'SIGTERM');
      if (!(await waitForExit(record, this.options.stopTimeoutMs ?? 6000))) killGroup(record.pid, 'SIGKILL');
      await waitForExit(record, 2000);
      killed = true;
    }
    this.files.remove(key);
    return killed;
  }

  /** An adopted process is no child: its exit shows as its pid going away (or becoming another process). */
  private watchAdopted(managed: Managed, record: InstanceRecord): void {
    let resolveExited!: (exit: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((resolve) => (resolveExited = resolve));
    const watch = setInterval(() => {
      if (isRunning(record)) return;
      clearInterval(watch);
      resolveExited({ code: null, signal: null });
      this.onExit(managed, adopted, { code: null, signal: null });
    }, WATCH_MS);
    const adopted: ServiceProcess = { kind: 'adopted', record, watch };
    managed.process = adopted;
    managed.startedAt = Date.now();
    const heard = this.options.heardFrom?.(record.pid) ?? Promise.resolve();
    const healthy = Promise.race([heard, exited.then(() => Promise.reject(new Error('exited before it was heard on the bus')))]);
    managed.ready = false;
    healthy.then(
      () => {
        if (managed.process === adopted) managed.ready = true;
      },
      () => undefined,
    );
    managed.handle = { healthy, exited };
  }

  private async spawn(managed: Managed): Promise<void> {
    const key = instanceKey(managed.instance);
    const spec = await managed.launch();
    const child = fork(this.options.runnerPath, [...spec.args, OUTLIVE_FLAG], {
      execArgv: this.options.execArgvOf(managed.instance.name),
      env: spec.env,
      // its own process group: the agent can stop the service with everything it started, and a
      // signal to the agent's group does not reach it
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const running: ServiceProcess = { kind: 'child', child };
    managed.process = running;
    managed.ready = false;
    managed.startedAt = Date.now();
    const record: InstanceRecord | undefined =
      child.pid === undefined ? undefined : { ...managed.instance, pid: child.pid, startTime: startTimeOf(child.pid), ready: false };
    if (record) this.files.write(record);
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
        this.onExit(managed, running, { code, signal });
      });
    });
    child.on('message', (message) => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready') {
        this.options.log.info({ instance: key, pid: child.pid }, 'instance ready');
        // what a later agent needs to adopt it rather than stop it
        if (record && managed.process === running) this.files.write({ ...record, ready: true });
        if (managed.process === running) managed.ready = true;
        resolveHealthy();
      }
    });
    child.on('error', (error) => this.options.log.error({ err: error, instance: key }, 'instance process error'));
    managed.handle = { healthy, exited };
    this.options.log.info({ instance: key, pid: child.pid, args: spec.args }, 'instance started');
  }

  private onExit(managed: Managed, ended: ServiceProcess, exit: ExitInfo): void {
    const key = instanceKey(managed.instance);
    if (managed.process !== ended) return;
    if (ended.kind === 'adopted') clearInterval(ended.watch);
    managed.process = undefined;
    managed.ready = false;
    this.files.remove(key);
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
