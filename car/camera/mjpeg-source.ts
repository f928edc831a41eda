/**
 * Frames from a command printing MJPEG on stdout (`libcamera-vid -t 0 --codec mjpeg -o -`,
 * `ffmpeg -f v4l2 -i /dev/video0 -f mjpeg -`). The command is run without a shell and restarted
 * with exponential backoff whenever it exits or cannot be started; close() kills it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mailbox } from '../../protocol/index.ts';
import {
  CameraSourceError,
  silentLogger,
  type CameraFrame,
  type FrameSource,
  type SourceLogger,
} from './frame-source.ts';
import { MjpegSplitter, type SplitterStats } from './mjpeg-splitter.ts';

export interface MjpegSourceOptions {
  /** argv: the program, then its arguments (no shell) */
  command: readonly string[];
  log?: SourceLogger;
  /** first restart delay; doubles on each run that produced no frame, up to restartMaxMs */
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** a JPEG growing past this is dropped as garbled */
  maxFrameBytes?: number;
  /** after SIGTERM, how long the command gets before SIGKILL */
  killGraceMs?: number;
  /** wall clock for frame timestamps */
  now?: () => number;
}

export interface MjpegSourceStats {
  frames: number;
  /** times a start of the command was attempted */
  starts: number;
  /** times it exited or failed to start while the source was open */
  exits: number;
  /** frames replaced in a slow consumer's slot before it took them */
  superseded: number;
  splitter: SplitterStats;
}

interface RunResult {
  frames: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
  stderr: string;
}

const STDERR_TAIL_BYTES = 2048;

export class MjpegSource implements FrameSource {
  readonly name = 'mjpeg';
  private readonly command: readonly string[];
  private readonly log: SourceLogger;
  private readonly restartInitialMs: number;
  private readonly restartMaxMs: number;
  private readonly killGraceMs: number;
  private readonly now: () => number;
  private readonly slots = new Set<Mailbox<CameraFrame>>();
  private readonly stopping = new AbortController();
  private supervisor: Promise<void> | undefined;
  private child: ChildProcess | undefined;
  /** one splitter for the source's life: end() between runs resets it, its counts accumulate */
  private readonly splitter: MjpegSplitter;
  private retiredSuperseded = 0;
  private counts = { frames: 0, starts: 0, exits: 0 };

  constructor(options: MjpegSourceOptions) {
    const { command } = options;
    if (!Array.isArray(command) || command.length === 0 || command.some((arg) => typeof arg !== 'string')) {
      throw new CameraSourceError(`camera command must be a non-empty argv array of strings, got ${JSON.stringify(command)}`);
    }
    if (command[0] === '') throw new CameraSourceError('camera command: the program name is empty');
    this.command = [...command];
    this.log = options.log ?? silentLogger;
    this.restartInitialMs = positive('restartInitialMs', options.restartInitialMs ?? 250);
    this.restartMaxMs = Math.max(this.restartInitialMs, positive('restartMaxMs', options.restartMaxMs ?? 10_000));
    this.splitter = new MjpegSplitter({ maxFrameBytes: options.maxFrameBytes });
    this.killGraceMs = positive('killGraceMs', options.killGraceMs ?? 1000);
    this.now = options.now ?? Date.now;
  }

  /** The running command's pid, if one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get stats(): MjpegSourceStats {
    const s = this.splitter.stats;
    let superseded = this.retiredSuperseded;
    for (const slot of this.slots) superseded += slot.superseded;
    return { ...this.counts, superseded, splitter: { ...s, dropped: { ...s.dropped } } };
  }

  /** Starts the command (also done by the first frames() call); idempotent. */
  start(): void {
    if (this.supervisor || this.stopping.signal.aborted) return;
    this.supervisor = this.supervise();
  }

  async *frames(signal?: AbortSignal): AsyncGenerator<CameraFrame> {
    if (this.stopping.signal.aborted) return;
    const slot = new Mailbox<CameraFrame>();
    this.slots.add(slot);
    this.start();
    try {
      yield* slot.drain(signal);
    } finally {
      this.retiredSuperseded += slot.superseded;
      this.slots.delete(slot);
    }
  }

  async close(): Promise<void> {
    this.stopping.abort(); // the running command gets SIGTERM, then SIGKILL after the grace
    await this.supervisor;
    for (const slot of this.slots) slot.end();
  }

  private async supervise(): Promise<void> {
    let failedRuns = 0;
    while (!this.stopping.signal.aborted) {
      const result = await this.runOnce();
      if (this.stopping.signal.aborted) break;
      this.counts.exits++;
      failedRuns = result.frames > 0 ? 0 : failedRuns + 1;
      const delayMs = Math.min(this.restartMaxMs, this.restartInitialMs * 2 ** Math.max(0, failedRuns - 1));
      const program = this.command[0];
      if (result.spawnError) {
        const { code } = result.spawnError;
        const why =
          code === 'ENOENT'
            ? `camera command not found: "${program}" (is it installed and on PATH?)`
            : `camera command "${program}" could not be started: ${result.spawnError.message}`;
        this.log.error({ command: this.command, code, restartInMs: delayMs }, why);
      } else {
        this.log.warn(
          { command: this.command, code: result.code, signal: result.signal, frames: result.frames, restartInMs: delayMs, stderr: result.stderr || undefined },
          `camera command "${program}" exited; restarting in ${delayMs} ms`,
        );
      }
      try {
        await sleep(delayMs, undefined, { signal: this.stopping.signal });
      } catch {
        break; // closed while waiting
      }
    }
  }

  private runOnce(): Promise<RunResult> {
    return new Promise((resolve) => {
      const splitter = this.splitter;
      let frames = 0;
      let stderr = '';
      let spawnError: NodeJS.ErrnoException | undefined;
      let settled = false;
      let child: ChildProcess;
      try {
        child = spawn(this.command[0]!, this.command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        resolve({ frames: 0, code: null, signal: null, spawnError: err as NodeJS.ErrnoException, stderr: '' });
        return;
      }
      this.counts.starts++;
      this.child = child;
      // If this process exits without close(), take the camera command with it.
      const killOnExit = (): void => void child.kill('SIGKILL');
      process.on('exit', killOnExit);
      let killTimer: NodeJS.Timeout | undefined;
      const onStop = (): void => {
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), this.killGraceMs);
      };
      this.stopping.signal.addEventListener('abort', onStop, { once: true });

      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        process.off('exit', killOnExit);
        this.stopping.signal.removeEventListener('abort', onStop);
        if (killTimer) clearTimeout(killTimer);
        if (this.child === child) this.child = undefined;
        splitter.end();
        resolve({ frames, code, signal, spawnError, stderr: stderr.trim() });
      };

      child.stdout?.on('data', (chunk: Buffer) => {
        const ts = this.now();
        for (const part of splitter.push(chunk)) {
          frames++;
          this.counts.frames++;
          const frame: CameraFrame = { jpeg: part.jpeg, width: part.width, height: part.height, ts };
          for (const slot of this.slots) slot.put(frame);
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          spawnError = err;
          finish(null, null);
        } else {
          this.log.warn({ command: this.command, err: err.message }, 'camera command error');
        }
      });
      // 'close' comes after stdout has ended, so every byte reached the splitter.
      child.on('close', finish);
      if (this.stopping.signal.aborted) onStop();
    });
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new CameraSourceError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}
