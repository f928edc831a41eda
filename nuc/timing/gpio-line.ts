/**
 * One GPIO line's edges, read through the kernel's GPIO character device (uAPI v2) by the helper
 * beside this file (gpio-edges.py: Node has no ioctl). It starts the helper, waits for its `ready`
 * line, then hands on each edge with the kernel's timestamp. Lines that are not the helper's forms
 * are refused and counted; a gap in the kernel's line sequence numbers (its event buffer overflowed)
 * is counted as lost edges.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { TimingConfig } from '../../runtime/index.ts';
import { LineSplitter, parseHelperLine } from './helper-output.ts';
import type { LineEdge } from './debounce.ts';

export type GpioSettings = TimingConfig['gpio'];

export interface GpioLineEvents {
  edge(edge: LineEdge): void;
  /** a helper line that was refused, with the reason */
  invalid(reason: string): void;
  /** edges the kernel dropped before they were read */
  lost(count: number): void;
  /** the helper ended after it was ready (a chip unplugged, the helper killed): code and its last words */
  exit(code: number | null, message: string): void;
}

export interface GpioLineStart {
  chip: string;
  lines: number;
  /** the line's level when opened */
  active: boolean;
  /** NUC clock when `ready` came */
  atMs: number;
}

/** The helper could not have the line: `field` is the setting to look at. */
export class GpioLineError extends Error {
  constructor(
    readonly field: 'chip' | 'line' | 'helper',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'GpioLineError';
  }
}

const HELPER = 'gpio-edges.py';
const READY_TIMEOUT_MS = 30_000;
const STDERR_KEEP = 2000;

/** The helper script: beside this module in the source tree, or found from a bundle inside the project. */
export function helperPath(from = path.dirname(fileURLToPath(import.meta.url))): string {
  const beside = path.join(from, HELPER);
  if (fs.existsSync(beside)) return beside;
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'nuc', 'timing', HELPER);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new GpioLineError('helper', `${HELPER} not found beside ${from} or in a nuc/timing folder above it`);
  }
}

export function helperArgs(settings: GpioSettings): string[] {
  return [
    '-u',
    helperPath(),
    '--chip',
    settings.chip,
    '--line',
    String(settings.line),
    '--bias',
    settings.bias,
    ...(settings.active === 'low' ? ['--active-low'] : []),
  ];
}

export class GpioLine {
  private constructor(private readonly child: ChildProcessByStdio<null, Readable, Readable>) {}

  /** Starts the helper; resolves once the line is held, rejects with GpioLineError when it cannot be. */
  static open(settings: GpioSettings, events: GpioLineEvents, python = 'python3'): Promise<{ line: GpioLine; start: GpioLineStart }> {
    const child = spawn(python, helperArgs(settings), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let started: GpioLineStart | undefined;
    let lastSeq: number | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new GpioLineError('helper', `the GPIO helper did not report ready within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      const splitter = new LineSplitter((text) => {
        const parsed = parseHelperLine(text);
        if (parsed.kind === 'invalid') return events.invalid(parsed.reason);
        if (parsed.kind === 'ready') {
          if (started) return events.invalid('second ready');
          started = { chip: parsed.chip, lines: parsed.lines, active: parsed.active, atMs: Date.now() };
          clearTimeout(timer);
          resolve({ line: new GpioLine(child), start: started });
          return;
        }
        if (!started) return events.invalid('edge before ready');
        if (lastSeq !== undefined && parsed.lineSeq > lastSeq + 1) events.lost(parsed.lineSeq - lastSeq - 1);
        lastSeq = parsed.lineSeq;
        events.edge({ active: parsed.active, atMs: parsed.atMs });
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => splitter.push(text));
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new GpioLineError('helper', `cannot run ${python} for the GPIO helper: ${error.message}`));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        const message = stderr.trim().split('\n').at(-1) ?? '';
        if (started) return events.exit(code, message);
        const field = /has no line|line \d+:/.test(message) ? 'line' : code === 3 ? 'chip' : 'helper';
        reject(new GpioLineError(field, message || `the GPIO helper exited with ${code} before it was ready`));
      });
    });
  }

  close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}
