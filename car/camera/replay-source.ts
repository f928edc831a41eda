/**
 * Replays recorded JPEGs as if they came from a camera: a folder of JPEGs (in natural name order,
 * so `2_cam.jpg` comes before `10_cam.jpg`) or a Donkeycar tub (its `images/` folder), at a chosen
 * frame rate, optionally looping.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CameraSourceError, silentLogger, type CameraFrame, type FrameSource, type SourceLogger } from './frame-source.ts';
import { MjpegSplitter } from './mjpeg-splitter.ts';

export interface ReplaySourceOptions {
  /** a folder of JPEGs, or a tub folder holding `images/` */
  path: string;
  /** frames per second, 0 < fps <= 1000 */
  fps: number;
  /** start again from the first image after the last; default true */
  loop?: boolean;
  /**
   * Like a live camera, skip the images a slow consumer had no time for (default true);
   * false hands out every image in order, however late.
   */
  dropLate?: boolean;
  log?: SourceLogger;
  /** wall clock for frame timestamps */
  now?: () => number;
}

export interface ReplaySourceStats {
  frames: number;
  skippedLate: number;
  /** files that could not be read or held no JPEG */
  unreadable: number;
}

const JPEG_NAME = /\.jpe?g$/i;
const MAX_FPS = 1000;
const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

export class ReplaySource implements FrameSource {
  readonly name = 'replay';
  readonly stats: ReplaySourceStats = { frames: 0, skippedLate: 0, unreadable: 0 };
  private readonly closing = new AbortController();
  private readonly warned = new Set<string>();

  private constructor(
    /** the folder the images are read from */
    readonly folder: string,
    /** image file names, in replay order */
    readonly files: readonly string[],
    private readonly fps: number,
    private readonly loop: boolean,
    private readonly dropLate: boolean,
    private readonly log: SourceLogger,
    private readonly now: () => number,
  ) {}

  /** Lists the images; throws a CameraSourceError naming the path if there are none. */
  static async open(options: ReplaySourceOptions): Promise<ReplaySource> {
    const { path, fps } = options;
    if (!Number.isFinite(fps) || fps <= 0 || fps > MAX_FPS) {
      throw new CameraSourceError(`replay fps must be a number in (0, ${MAX_FPS}], got ${fps}`);
    }
    if (typeof path !== 'string' || path === '') throw new CameraSourceError('replay path is empty: set camera.replayPath to a folder of JPEGs or a tub');
    const folder = await pickImageFolder(path);
    const entries = await readdir(folder, { withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile() && JPEG_NAME.test(e.name))
      .map((e) => e.name)
      .sort(naturalOrder);
    if (files.length === 0) throw new CameraSourceError(`no JPEG files (*.jpg, *.jpeg) in ${folder}`);
    return new ReplaySource(folder, files, fps, options.loop ?? true, options.dropLate ?? true, options.log ?? silentLogger, options.now ?? Date.now);
  }

  async *frames(signal?: AbortSignal): AsyncGenerator<CameraFrame> {
    const stop = signal ? AbortSignal.any([this.closing.signal, signal]) : this.closing.signal;
    const periodMs = 1000 / this.fps;
    const startedAt = performance.now();
    let tick = 0;
    let index = 0;
    let unreadableInARow = 0;
    while (!stop.aborted) {
      if (index >= this.files.length) {
        if (!this.loop) return;
        index %= this.files.length;
      }
      // Drift-free pacing: image n is due at start + n * period.
      const waitMs = startedAt + tick * periodMs - performance.now();
      if (waitMs > 0) {
        try {
          await sleep(waitMs, undefined, { signal: stop });
        } catch {
          return;
        }
      }
      const file = this.files[index++]!;
      const image = await this.load(file);
      if (!image) {
        if (++unreadableInARow >= this.files.length) {
          throw new CameraSourceError(`no readable JPEG in ${this.folder} (${this.files.length} file(s) tried)`);
        }
        continue;
      }
      unreadableInARow = 0;
      if (stop.aborted) return;
      this.stats.frames++;
      yield { ...image, ts: this.now() };
      tick++;
      if (this.dropLate) {
        const behind = Math.floor((performance.now() - startedAt) / periodMs) - tick;
        if (behind > 0) {
          tick += behind;
          index += behind;
          this.stats.skippedLate += behind;
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private async load(file: string): Promise<Omit<CameraFrame, 'ts'> | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.folder, file));
    } catch (err) {
      this.unreadable(file, `cannot read: ${(err as Error).message}`);
      return undefined;
    }
    const [image] = new MjpegSplitter({ maxFrameBytes: Math.max(4, bytes.length) }).push(bytes);
    if (!image) {
      this.unreadable(file, 'not a complete JPEG');
      return undefined;
    }
    return image;
  }

  private unreadable(file: string, why: string): void {
    this.stats.unreadable++;
    if (this.warned.has(file)) return; // once per file, not once per loop
    this.warned.add(file);
    this.log.warn({ folder: this.folder, file }, `replay: skipping ${file}: ${why}`);
  }
}

async function pickImageFolder(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CameraSourceError(`replay path not found: ${path}`);
  if (!info.isDirectory()) throw new CameraSourceError(`replay path is not a folder: ${path}`);
  const images = join(path, 'images');
  const tubImages = await stat(images).catch(() => undefined);
  return tubImages?.isDirectory() ? images : path;
}
