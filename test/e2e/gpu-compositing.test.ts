/**
 * Compositing on the viewer's GPU against the server's compositor, in Debian's chromium (WebGL2 on
 * SwiftShader: there is no GPU here). The audience view is given a simulated camera frame (the road,
 * the chroma-green sky, another car ahead); its WebGL canvas must match the server compositor's
 * composite of the same frame with the same settings to a mean absolute difference ≤ 3 of 255. A
 * chromium without WebGL must fall back to the server's composite by itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRenderer, encodeJpeg, loadTrack } from '../../world/index.ts';
import { BackgroundLibrary } from '../../nuc/compositor/index.ts';
import { createCompositor } from '../../nuc/compositor/compositor.ts';
import { buildNucServer, FleetState, type NucServer } from '../../nuc/server/index.ts';
import { SettingsStore } from '../../nuc/server/settings-store.ts';
import { carColour } from '../../protocol/index.ts';
import { ensureDashboardBuilt, hasChromium, launchChromium } from '../support/browser.ts';
import { waitFor } from '../support/net.ts';
import { busMessage, FakeFeed, silentLog, telemetry } from '../support/server-feed.ts';

const CAR = '5';
const WIDTH = 640;
const HEIGHT = 480;
const MAX_MEAN_ABS_DIFF = 3;

describe.skipIf(!hasChromium)('GPU compositing (chromium, WebGL on SwiftShader)', () => {
  let dir: string;
  let nuc: NucServer;
  let baseUrl: string;
  let feeding: NodeJS.Timeout;
  let frame: Buffer;
  let library: BackgroundLibrary;
  const browsers: Browser[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-compositing-'));
    library = new BackgroundLibrary({ dir: path.join(dir, 'backgrounds'), frameWidth: WIDTH, frameHeight: HEIGHT });
    await library.ensureBuiltIns();
    const track = loadTrack('default');
    const renderer = createRenderer({ track, width: WIDTH, height: HEIGHT, seed: 1 });
    const ahead = track.pointAt(3.2);
    frame = await encodeJpeg(renderer.render(track.pointAt(2.5), [{ ...ahead, colour: carColour('2') }]), WIDTH, HEIGHT, 80);
    const feed = new FakeFeed();
    nuc = await buildNucServer({
      fleet: new FleetState(),
      log: silentLog,
      metricsIntervalMs: 1000,
      busConnected: () => true,
      token: 'gpu-token',
      feed,
      settings: await SettingsStore.open(path.join(dir, 'settings.json')),
      backgrounds: library,
    });
    await nuc.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(nuc.app.server.address() as { port: number }).port}`;
    let seq = 0;
    // A car driving straight (angle 0): the background stays centred, on the GPU as on the server.
    feeding = setInterval(() => {
      seq++;
      feed.emit(busMessage<'frame'>(`car/${CAR}/frame`, { width: WIDTH, height: HEIGHT, format: 'jpeg' }, frame, seq));
      feed.emit(busMessage<'telemetry'>(`car/${CAR}/telemetry`, telemetry({ angle: 0 }), undefined, seq));
    }, 100);
  });

  afterAll(async () => {
    clearInterval(feeding);
    for (const browser of browsers) await browser.close();
    await nuc?.app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function audiencePage(webgl: 'swiftshader' | 'none'): Promise<Page> {
    const browser = await launchChromium({ webgl });
    browsers.push(browser);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${baseUrl}/watch/${CAR}`);
    return page;
  }

  it('keys the raw camera frame in WebGL to within a mean of 3 levels of the server compositor', { timeout: 120_000 }, async () => {
    const page = await audiencePage('swiftshader');
    const webgl = await page.evaluate(() => document.createElement('canvas').getContext('webgl2') !== null);
    expect(webgl, 'chromium offers no WebGL2 (SwiftShader through ANGLE): the GPU compositing cannot be tested').toBe(true);
    const canvas = page.locator('canvas[data-test="video"]');
    await waitFor(async () => (await canvas.getAttribute('data-compositing')) === 'gpu', 'the page compositing on the GPU', 30_000, 100);
    await waitFor(async () => Number(await canvas.getAttribute('data-keyed-frames')) >= 3, 'frames keyed on the GPU', 60_000, 100);
    expect(nuc.video.composedCars()).toEqual([]);

    const png = await page.evaluate(() => (document.querySelector('canvas[data-test="video"]') as HTMLCanvasElement).toDataURL('image/png'));
    const gpu = await sharp(Buffer.from(png.split(',')[1]!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([gpu.info.width, gpu.info.height]).toEqual([WIDTH, HEIGHT]);

    const compositor = createCompositor({ width: WIDTH, height: HEIGHT, background: await library.load('mountains') });
    const server = await sharp((await compositor.composite(frame, 0)).jpeg).raw().toBuffer();
    let sum = 0;
    for (let i = 0; i < server.length; i++) sum += Math.abs(server[i]! - gpu.data[i]!);
    const meanAbsDiff = sum / server.length;
    // Not trivially equal: the background shows through where the camera saw sky.
    const camera = await sharp(frame).raw().toBuffer();
    let fromCamera = 0;
    for (let i = 0; i < camera.length; i++) fromCamera += Math.abs(camera[i]! - gpu.data[i]!);
    expect(fromCamera / camera.length).toBeGreaterThan(20);
    expect(meanAbsDiff).toBeLessThanOrEqual(MAX_MEAN_ABS_DIFF);
  });

  it('falls back to the server\'s composite in a browser without WebGL', { timeout: 60_000 }, async () => {
    const page = await audiencePage('none');
    const canvas = page.locator('canvas[data-test="video"]');
    await waitFor(async () => Number(await canvas.getAttribute('data-frames')) >= 1, 'video on the page', 30_000, 100);
    expect(await canvas.getAttribute('data-compositing')).toBe('server');
    // The page asked for the composite: the server now has the compositor work for this car.
    await waitFor(() => nuc.video.composedCars().includes(CAR), 'the server asking its compositor for the car', 10_000, 100);
    await page.close();
    await waitFor(() => !nuc.video.composedCars().includes(CAR), 'the compositor let off once nobody watches through it', 10_000, 100);
  });
});
