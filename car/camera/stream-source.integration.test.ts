import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeJpeg } from '../../test/support/jpegs.ts';
import { waitFor } from '../../test/support/net.ts';
import { serveCameraFeed, type CameraFeed } from '../sim/index.ts';
import type { CameraFrame } from './frame-source.ts';
import { StreamSource, simCameraSocketPath } from './stream-source.ts';

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function runDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'camfeed-'));
  dirs.push(dir);
  return dir;
}

async function feed(socketPath: string, jpegs: Buffer[]): Promise<CameraFeed> {
  let n = 0;
  const served = await serveCameraFeed({ socketPath, fps: 50, frame: async () => jpegs[n++ % jpegs.length] });
  closers.push(() => served.close());
  return served;
}

function collect(source: StreamSource): CameraFrame[] {
  const frames: CameraFrame[] = [];
  const controller = new AbortController();
  void (async () => {
    for await (const frame of source.frames(controller.signal)) frames.push(frame);
  })();
  closers.push(async () => {
    controller.abort();
    await source.close();
  });
  return frames;
}

describe('the simulated camera stream', () => {
  it('arrives at the camera as whole JPEGs, with their size, the way a real MJPEG camera streams', async () => {
    const socketPath = simCameraSocketPath(runDir());
    const jpegs = [await makeJpeg({ width: 64, height: 48, seed: 1 }), await makeJpeg({ width: 64, height: 48, seed: 2 })];
    await feed(socketPath, jpegs);
    const frames = collect(new StreamSource({ socketPath }));
    await waitFor(() => frames.length >= 6 || undefined, 'frames from the stream', 10_000);
    for (const frame of frames) {
      expect(frame).toMatchObject({ width: 64, height: 48 });
      expect(jpegs.some((jpeg) => jpeg.equals(frame.jpeg))).toBe(true);
    }
  });

  it('waits for a simulator that is not there yet and reconnects after it restarts', async () => {
    const socketPath = simCameraSocketPath(runDir());
    const source = new StreamSource({ socketPath, retryMs: 50 });
    const frames = collect(source);
    const jpeg = await makeJpeg({ width: 32, height: 32 });
    const first = await feed(socketPath, [jpeg]);
    await waitFor(() => frames.length > 0 || undefined, 'frames once the simulator is up', 10_000);
    await first.close();
    const before = source.frameCount;
    await feed(socketPath, [jpeg]);
    await waitFor(() => source.frameCount > before || undefined, 'frames after the simulator restarted', 10_000);
  });

  it('renders nothing while no camera reads the stream', async () => {
    const socketPath = simCameraSocketPath(runDir());
    let rendered = 0;
    const served = await serveCameraFeed({ socketPath, fps: 100, frame: async () => (rendered++, makeJpeg({ width: 16, height: 16 })) });
    closers.push(() => served.close());
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rendered).toBe(0);
  });
});
