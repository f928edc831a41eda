/**
 * The simulator's camera: renders the car's view from the newest pose the `sim` service published,
 * with the other cars on the shared track in it, at the configured rate, and encodes it as JPEG like
 * a real camera's MJPEG stream.
 */
import { createRenderer, encodeJpeg, type CarSprite, type Track } from '../sim/index.ts';
import type { CameraFrame, FrameSource } from './frame-source.ts';

export interface SimPose {
  x: number;
  y: number;
  heading: number;
}

export interface SimSourceOptions {
  track: Track;
  width: number;
  height: number;
  fps: number;
  seed: number;
  quality: number;
  /** the newest pose, or undefined before the simulator has published one */
  pose: () => SimPose | undefined;
  /** the other cars to draw, where they are now */
  others?: () => readonly CarSprite[];
}

export class SimSource implements FrameSource {
  readonly name = 'sim';
  private closed = false;
  private readonly renderer;

  constructor(private readonly options: SimSourceOptions) {
    this.renderer = createRenderer({ track: options.track, width: options.width, height: options.height, seed: options.seed });
  }

  async *frames(signal?: AbortSignal): AsyncIterable<CameraFrame> {
    const period = 1000 / this.options.fps;
    let next = performance.now();
    while (!this.closed && !signal?.aborted) {
      next += period;
      const pose = this.options.pose();
      if (pose) {
        const ts = Date.now();
        const rgb = this.renderer.render(pose, this.options.others?.());
        const jpeg = await encodeJpeg(rgb, this.options.width, this.options.height, this.options.quality);
        yield { jpeg, width: this.options.width, height: this.options.height, ts };
      }
      // Drift-free pacing; if rendering fell behind, skip ahead rather than burst.
      const wait = next - performance.now();
      if (wait < -period) next = performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
