/** Runs one pipeline in a worker process and turns its messages and its exit into one outcome. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PipelineSpec, ProgressReport } from './pipeline.ts';
import { parseWorkerMessage, type StartMessage } from './worker-protocol.ts';
import type { ArenaResult, JobResult } from './types.ts';

export type RunOutcome = { outcome: 'succeeded'; result: JobResult | ArenaResult } | { outcome: 'failed'; error: string } | { outcome: 'cancelled' };

export interface RunHandle {
  readonly done: Promise<RunOutcome>;
  /** stops the worker; `done` then resolves `cancelled` */
  cancel(): void;
}

/** How a job is run: a worker process in the service, something lighter in tests. */
export type JobRunner = (spec: PipelineSpec, report: ProgressReport) => RunHandle;

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const STDERR_TAIL = 4000;

export interface WorkerRunnerOptions {
  /** after SIGTERM, how long the worker gets before SIGKILL */
  killGraceMs?: number;
  /** the worker's CPU priority (nice value, nuc.training.nice) */
  nice: number;
}

export function workerRunner(options: WorkerRunnerOptions): JobRunner {
  const killGraceMs = options.killGraceMs ?? 3000;
  const { nice } = options;
  return (spec, report) => {
    const child = fork(WORKER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    let cancelled = false;
    let settled: RunOutcome | undefined;
    const done = new Promise<RunOutcome>((resolve) => {
      child.on('message', (raw) => {
        const message = parseWorkerMessage(raw);
        if (!message) return;
        if (message.type === 'progress') report(message.progress, message.epoch);
        else if (message.type === 'done') settled = { outcome: 'succeeded', result: message.result };
        else settled = { outcome: 'failed', error: message.message };
      });
      child.on('error', (error) => {
        settled ??= { outcome: 'failed', error: `training worker could not run: ${error.message}` };
      });
      child.on('exit', (code, signal) => {
        // A result that arrived before the cancel still counts: the model is saved.
        if (settled?.outcome === 'succeeded') return resolve(settled);
        if (cancelled) return resolve({ outcome: 'cancelled' });
        if (settled) return resolve(settled);
        const lastLine = stderr.trim().split('\n').slice(-3).join(' | ');
        resolve({ outcome: 'failed', error: `training worker exited (${signal ?? `code ${code}`}) without a result${lastLine ? `: ${lastLine}` : ''}` });
      });
    });
    const start: StartMessage = { type: 'start', spec, nice };
    child.send(start);
    return {
      done,
      cancel() {
        if (cancelled || child.exitCode !== null || child.signalCode !== null) return;
        cancelled = true;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
        timer.unref();
        void done.then(() => clearTimeout(timer));
      },
    };
  };
}
