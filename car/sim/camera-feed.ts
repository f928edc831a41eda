/**
 * The simulated camera as a device: the simulator renders the car's view from its own pose and
 * serves it as an MJPEG stream (JPEGs back to back, as `libcamera-vid --codec mjpeg` prints) on a
 * unix socket in the car's run directory. The camera service reads it the way it reads a real
 * camera's stream, so rendering and encoding (simulator work a real car never does) stay out of it.
 * Frames are rendered only while a reader is connected; a reader still busy with the last frame
 * misses the next one rather than queueing it.
 */
import fs from 'node:fs';
import net from 'node:net';

export interface CameraFeedOptions {
  socketPath: string;
  fps: number;
  /** one encoded frame of the current view, or undefined before there is one */
  frame: () => Promise<Buffer | undefined>;
  onError?: (error: unknown) => void;
}

export interface CameraFeed {
  readonly frames: number;
  /** frames a busy reader missed */
  readonly skipped: number;
  close(): Promise<void>;
}

export async function serveCameraFeed(options: CameraFeedOptions): Promise<CameraFeed> {
  const readers = new Set<net.Socket>();
  const stats = { frames: 0, skipped: 0 };
  fs.rmSync(options.socketPath, { force: true });
  const server = net.createServer((socket) => {
    readers.add(socket);
    socket.on('close', () => readers.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });

  const period = 1000 / options.fps;
  let next = performance.now();
  let closed = false;
  const pump = (async () => {
    while (!closed) {
      next += period;
      if (readers.size > 0) {
        try {
          const jpeg = await options.frame();
          if (jpeg) {
            stats.frames++;
            for (const reader of readers) {
              // still writing the previous frame: this one is skipped for that reader
              if (reader.writableLength > 0) stats.skipped++;
              else reader.write(jpeg);
            }
          }
        } catch (error) {
          options.onError?.(error);
        }
      }
      // drift-free pacing; fallen behind, skip ahead rather than burst
      const wait = next - performance.now();
      if (wait < -period) next = performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  })();

  return {
    get frames() {
      return stats.frames;
    },
    get skipped() {
      return stats.skipped;
    },
    async close() {
      closed = true;
      await pump;
      for (const reader of readers) reader.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
