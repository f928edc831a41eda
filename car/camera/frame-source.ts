/** The one interface every camera source (sim, mjpeg, replay) sits behind. */

export interface CameraFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  /** capture wall clock, ms since the epoch */
  ts: number;
}

export interface FrameSource {
  readonly name: string;
  /**
   * The frames, newest first in spirit: a consumer slower than the camera gets the newest frame
   * each time it asks, never a backlog. Ends when `signal` aborts or the source closes.
   */
  frames(signal?: AbortSignal): AsyncIterable<CameraFrame>;
  /** Stops the source and releases what it holds (child processes, files); iterations end. */
  close(): Promise<void>;
}

/** The part of a pino logger the sources use. */
export interface SourceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: SourceLogger = { info() {}, warn() {}, error() {} };

/** A source was configured or fed with something it cannot use; the message names what. */
export class CameraSourceError extends Error {
  override readonly name = 'CameraSourceError';
}

/**
 * A one-slot hand-over from a push-based producer to one consumer: a frame not yet taken is
 * replaced by a newer one (and counted), so a slow consumer never builds a queue.
 */
export class LatestFrameSlot {
  private frame: CameraFrame | undefined;
  private waiter: ((frame: CameraFrame | undefined) => void) | undefined;
  private ended = false;
  superseded = 0;

  put(frame: CameraFrame): void {
    if (this.ended) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve(frame);
      return;
    }
    if (this.frame) this.superseded++;
    this.frame = frame;
  }

  /** No more frames: a waiting or later `next()` resolves undefined (a frame already held is still given). */
  end(): void {
    this.ended = true;
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.(undefined);
  }

  /** The newest frame, waiting for one if none is held; undefined once ended or aborted. */
  next(signal?: AbortSignal): Promise<CameraFrame | undefined> {
    const held = this.frame;
    if (held) {
      this.frame = undefined;
      return Promise.resolve(held);
    }
    if (this.ended || signal?.aborted) return Promise.resolve(undefined);
    if (this.waiter) return Promise.reject(new Error('LatestFrameSlot.next(): only one consumer may wait'));
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (frame) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(frame);
      };
    });
  }
}

/** Iterates a slot until it ends or `signal` aborts. */
export async function* drainSlot(slot: LatestFrameSlot, signal?: AbortSignal): AsyncGenerator<CameraFrame> {
  while (true) {
    const frame = await slot.next(signal);
    if (!frame) return;
    yield frame;
  }
}
