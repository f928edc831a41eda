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
