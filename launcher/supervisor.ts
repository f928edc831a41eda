/**
 * Runs service processes, restarts a crashed one with exponential backoff, and stops them all on
 * request (SIGTERM, then SIGKILL after a grace period) so nothing is left behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export interface ProcessSpec {
  /** unique name, e.g. `nuc/server` or `car/1/pilot` */
  key: string;
  modulePath: string;
  args: string[];
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** a process that ran this long before exiting starts its backoff afresh */
  healthyAfterMs?: number;
  stopGraceMs?: number;
  log: Logger;
}

interface Managed {
  spec: ProcessSpec;
  child?: ChildProcess;
  startedAt: number;
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

export interface SupervisorEvents {
  ready: [key: string, message: Record<string, unknown>];
  exit: [key: string, code: number | null, signal: NodeJS.Signals | null];
  restart: [key: string, delayMs: number];
}

/** Backoff before restart number `failures` (1-based): initial, 2x, 4x … capped. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly managed = new Map<string, Managed>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {
    super();
  }

  start(spec: ProcessSpec): void {
    const entry: Managed = { spec, startedAt: 0, failures: 0 };
    this.managed.set(spec.key, entry);
    this.spawn(entry);
  }

  pids(): number[] {
    return [...this.managed.values()].flatMap((m) => (m.child?.pid ? [m.child.pid] : []));
  }

  private spawn(entry: Managed): void {
    const { spec } = entry;
    entry.startedAt = Date.now();
    const child = fork(spec.modulePath, spec.args, {
      execArgv: spec.execArgv ?? process.execArgv,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    entry.child = child;
    child.on('message', (message) => {
      if (typeof message === 'object' && message !== null && (message as { type?: string }).type === 'ready') {
        this.emit('ready', spec.key, message as Record<string, unknown>);
      }
    });
    child.on('error', (error) => this.options.log.error({ err: error, service: spec.key }, 'process error'));
    child.on('exit', (code, signal) => this.onExit(entry, child, code, signal));
  }

  private onExit(entry: Managed, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (entry.child !== child) return;
    entry.child = undefined;
    this.emit('exit', entry.spec.key, code, signal);
    if (this.stopping) return;
    const ranMs = Date.now() - entry.startedAt;
    entry.failures = ranMs >= (this.options.healthyAfterMs ?? 30_000) ? 1 : entry.failures + 1;
    const delay = backoffDelay(entry.failures, this.options.initialBackoffMs, this.options.maxBackoffMs);
    this.options.log.warn({ service: entry.spec.key, code, signal, restartInMs: delay }, 'service exited; restarting');
    this.emit('restart', entry.spec.key, delay);
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      if (!this.stopping) this.spawn(entry);
    }, delay);
  }

  /** Stops every process: SIGTERM, then SIGKILL for any still running after the grace period. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const grace = this.options.stopGraceMs ?? 6000;
    const exits = [...this.managed.values()].map((entry) => {
      if (entry.restartTimer) clearTimeout(entry.restartTimer);
      const child = entry.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const killTimer = setTimeout(() => {
          this.options.log.warn({ service: entry.spec.key }, 'did not stop in time; killing');
          child.kill('SIGKILL');
        }, grace);
        child.once('exit', () => {
          clearTimeout(killTimer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
  }
}
