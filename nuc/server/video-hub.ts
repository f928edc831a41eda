/**
 * Video to browsers, latest wins per client: a client gets the next frame only once it has
 * acknowledged the previous one; meanwhile newer frames replace the one waiting, and each replaced
 * frame is counted as dropped. A slow browser therefore sees a lower frame rate, never a growing delay.
 *
 * A watcher asks for one of two videos. `raw`: the camera's own JPEGs, which the browser keys over the
 * background on its GPU (WebGL), so the NUC only relays bytes. `composited`: the server compositor's
 * driver's view (`car/<id>/view`), for a browser without WebGL; the raw frame is its fallback while no
 * view has arrived for `viewFreshMs` (the compositor is not running, or has only just been asked).
 * `composedCars()` says which cars the compositor needs to work for: those with a composited watcher.
 */
import type { BusMessage } from '../../protocol/index.ts';

export type VideoSource = 'view' | 'frame';
/** What a watcher asks for: the camera's frames to composite itself, or the server's composite. */
export type VideoChoice = 'raw' | 'composited';
export const VIDEO_CHOICES: readonly VideoChoice[] = ['raw', 'composited'];

/** What the page gets beside the JPEG: enough to show fps and latency. */
export interface VideoFrameHeader {
  car: string;
  seq: number;
  /** camera capture time on the car (ms) */
  frameTs: number;
  /** when the server sent it (ms) */
  serverTs: number;
  width: number;
  height: number;
  source: VideoSource;
  compositeMs?: number;
}

export interface VideoFrame {
  header: Omit<VideoFrameHeader, 'serverTs'>;
  jpeg: Buffer;
}

/** A browser connection as the hub sees it. `done` is called once the frame was acknowledged or given up on. */
export interface VideoClient {
  send(header: VideoFrameHeader, jpeg: Buffer, done: () => void): void;
}

export interface VideoHubStats {
  sent: number;
  /** frames replaced while a client was still busy with an earlier one */
  dropped: number;
}

interface Watcher {
  car: string;
  choice: VideoChoice;
  client: VideoClient;
  busy: boolean;
  waiting: VideoFrame | undefined;
  closed: boolean;
}

export interface VideoHubOptions {
  viewFreshMs?: number;
  now?: () => number;
}

export class VideoHub {
  /** the newest frame per car and video: the raw camera's, and the composited one (a view, or the frame standing in) */
  private readonly latest: Record<VideoChoice, Map<string, VideoFrame>> = { raw: new Map(), composited: new Map() };
  private readonly lastViewAt = new Map<string, number>();
  private readonly watchers = new Set<Watcher>();
  private readonly viewFreshMs: number;
  private readonly now: () => number;
  readonly stats: VideoHubStats = { sent: 0, dropped: 0 };

  constructor(options: VideoHubOptions = {}) {
    this.viewFreshMs = options.viewFreshMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Feeds a bus message; anything but a car's frame or view is ignored. */
  ingest(message: BusMessage): void {
    const { scope, id: car } = message.topic;
    if (scope !== 'car') return;
    if (message.kind === 'view') {
      const h = message.header;
      this.lastViewAt.set(car, this.now());
      this.publish('composited', {
        header: { car, seq: h.seq, frameTs: h.frameTs, width: h.width, height: h.height, source: 'view', compositeMs: h.compositeMs },
        jpeg: message.payload,
      });
    } else if (message.kind === 'frame') {
      const h = message.header;
      const frame: VideoFrame = { header: { car, seq: h.seq, frameTs: h.ts, width: h.width, height: h.height, source: 'frame' }, jpeg: message.payload };
      this.publish('raw', frame);
      const viewAt = this.lastViewAt.get(car);
      if (viewAt === undefined || this.now() - viewAt > this.viewFreshMs) this.publish('composited', frame);
    }
  }

  /** Starts sending `car`'s video to `client` (the newest frame at once, if any); returns the stop function. */
  watch(car: string, client: VideoClient, choice: VideoChoice = 'composited'): () => void {
    const watcher: Watcher = { car, choice, client, busy: false, waiting: undefined, closed: false };
    this.watchers.add(watcher);
    const newest = this.latest[choice].get(car);
    if (newest) this.offer(watcher, newest);
    return () => {
      watcher.closed = true;
      this.watchers.delete(watcher);
    };
  }

  /** Drops what is kept for a car that has gone silent (its newest frame); watchers stay and get its next frame. */
  forget(car: string): void {
    for (const choice of VIDEO_CHOICES) this.latest[choice].delete(car);
    this.lastViewAt.delete(car);
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  /** The cars someone watches through the server's compositor, sorted. */
  composedCars(): string[] {
    const cars = new Set<string>();
    for (const watcher of this.watchers) if (watcher.choice === 'composited') cars.add(watcher.car);
    return [...cars].sort();
  }

  private publish(choice: VideoChoice, frame: VideoFrame): void {
    this.latest[choice].set(frame.header.car, frame);
    for (const watcher of this.watchers) if (watcher.car === frame.header.car && watcher.choice === choice) this.offer(watcher, frame);
  }

  private offer(watcher: Watcher, frame: VideoFrame): void {
    if (watcher.busy) {
      if (watcher.waiting) this.stats.dropped++;
      watcher.waiting = frame;
      return;
    }
    this.deliver(watcher, frame);
  }

  private deliver(watcher: Watcher, frame: VideoFrame): void {
    watcher.busy = true;
    this.stats.sent++;
    let finished = false;
    watcher.client.send({ ...frame.header, serverTs: this.now() }, frame.jpeg, () => {
      if (finished) return;
      finished = true;
      watcher.busy = false;
      if (watcher.closed) return;
      const next = watcher.waiting;
      watcher.waiting = undefined;
      if (next) this.deliver(watcher, next);
    });
  }
}
