/**
 * Frames from an MJPEG stream on a unix socket: the simulator's camera (car/sim/camera-feed.ts),
 * read as a real camera's MJPEG output is, through the same splitter. Reconnects when the stream
 * ends or is not there yet (the simulator starting or restarting).
 */
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Mailbox } from '../../protocol/index.ts';
import { silentLogger, type CameraFrame, type FrameSource, type SourceLogger } from './frame-source.ts';
import { MjpegSplitter } from './mjpeg-splitter.ts';

/** Where a car's simulator streams its camera: in the car's run directory, one per car. */
export function simCameraSocketPath(runDir: string): string {
  return path.join(runDir, 'camera.sock');
}

export interface StreamSourceOptions {
  socketPath: string;
  log?: SourceLogger;
  /** wait before connecting again */
  retryMs?: number;
  now?: () => number;
}

export class StreamSource implements FrameSource {
  readonly name = 'sim';
  private readonly slots = new Set<Mailbox<CameraFrame>>();
  private readonly stopping = new AbortController();
  private readonly splitter = new MjpegSplitter();
  private reader: Promise<void> | undefined;
  private socket: net.Socket | undefined;
  private received = 0;

  constructor(private readonly options: StreamSourceOptions) {}

  /** frames read from the stream so far */
  get frameCount(): number {
    return this.received;
  }

  async *frames(signal?: AbortSignal): AsyncGenerator<CameraFrame> {
    if (this.stopping.signal.aborted) return;
    const slot = new Mailbox<CameraFrame>();
    this.slots.add(slot);
    this.reader ??= this.read();
    try {
      yield* slot.drain(signal);
    } finally {
      this.slots.delete(slot);
    }
  }

  async close(): Promise<void> {
    this.stopping.abort();
    this.socket?.destroy();
    await this.reader;
    for (const slot of this.slots) slot.end();
  }

  private async read(): Promise<void> {
    const log = this.options.log ?? silentLogger;
    const now = this.options.now ?? Date.now;
    let warned = false;
    while (!this.stopping.signal.aborted) {
      const ended = await new Promise<'ended' | 'refused'>((resolve) => {
        const socket = net.createConnection(this.options.socketPath);
        this.socket = socket;
        let connected = false;
        socket.on('connect', () => {
          connected = true;
          warned = false;
          log.info({ socket: this.options.socketPath }, 'reading the simulated camera');
        });
        socket.on('data', (chunk: Buffer) => {
          const ts = now();
          for (const part of this.splitter.push(chunk)) {
            this.received++;
            const frame: CameraFrame = { jpeg: part.jpeg, width: part.width, height: part.height, ts };
            for (const slot of this.slots) slot.put(frame);
          }
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.splitter.end();
          resolve(connected ? 'ended' : 'refused');
        });
      });
      if (this.stopping.signal.aborted) return;
      if (!warned) log.warn({ socket: this.options.socketPath, why: ended }, 'the simulated camera is not streaming; connecting again');
      warned = true;
      try {
        await sleep(this.options.retryMs ?? 200, undefined, { signal: this.stopping.signal });
      } catch {
        return;
      }
    }
  }
}
