import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CompositorError, createCompositor, createLatestFrameCompositor, type CompositeResult } from './compositor.ts';
import { subjectAlpha, DEFAULT_CHROMA_KEY } from './keying.ts';
import type { RawImage } from './raw-image.ts';

const W = 320;
const H = 240;
const GREEN = [0, 177, 64] as const;
const RED = [200, 40, 40] as const;
const GREY = [128, 128, 128] as const;
type Rgb = readonly [number, number, number];

/** A smooth background (so JPEG barely alters it) where every column has its own colour. */
function gradientBackground(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.round((x / (width - 1)) * 255);
      data[o + 1] = 60;
      data[o + 2] = 220 - Math.round((y / (height - 1)) * 100);
    }
  }
  return { width, height, data };
}

function paint(width: number, height: number, colourAt: (x: number, y: number) => Rgb): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colourAt(x, y), (y * width + x) * 3);
  }
  return data;
}

function jpegOf(raw: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}

/** Top half green backdrop, bottom half a red (left) and grey (right) subject. */
function greenScreenFrame(width = W, height = H): Promise<Buffer> {
  return jpegOf(
    paint(width, height, (x, y) => (y < height / 2 ? GREEN : x < width / 2 ? RED : GREY)),
    width,
    height,
  );
}

async function pixels(result: CompositeResult): Promise<(x: number, y: number) => Rgb> {
  const { data, info } = await sharp(result.jpeg).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([result.width, result.height, 3]);
  return (x, y) => {
    const o = (y * info.width + x) * 3;
    return [data[o]!, data[o + 1]!, data[o + 2]!];
  };
}

function backgroundAt(bg: RawImage, x: number, y: number): Rgb {
  const o = (y * bg.width + x) * 3;
  return [bg.data[o]!, bg.data[o + 1]!, bg.data[o + 2]!];
}

function expectClose(actual: Rgb, expected: Rgb, tolerance: number, where: string): void {
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
  expect(worst, `${where}: got ${actual.join(',')} expected ${expected.join(',')}`).toBeLessThanOrEqual(tolerance);
}

describe('compositor', () => {
  const background = gradientBackground(W * 3, H);

  it('replaces the green backdrop with the background window and keeps the subject', async () => {
    const compositor = createCompositor({ width: W, height: H, background });
    const result = await compositor.composite(await greenScreenFrame(), 0);
    expect(result.panOffset).toBe(W);
    expect(result.resized).toBe(false);
    const at = await pixels(result);
    for (const y of [4, 40, 100, 112]) {
      for (const x of [0, 37, 160, 300, 319]) {
        expectClose(at(x, y), backgroundAt(background, x + result.panOffset, y), 8, `backdrop ${x},${y}`);
      }
    }
    for (const y of [132, 200, 235]) {
      for (const x of [4, 80, 150]) expectClose(at(x, y), RED, 8, `red subject ${x},${y}`);
      for (const x of [170, 250, 315]) expectClose(at(x, y), GREY, 8, `grey subject ${x},${y}`);
    }
  });

  it('blends a soft-edge pixel part way between subject and background', async () => {
    const settings = { spill: 0 };
    // A pale green right at the saturation limit: the key's soft edge, neither kept nor removed.
    const edge: Rgb = [125, 178, 149];
    const a = subjectAlpha(...edge, { ...DEFAULT_CHROMA_KEY, ...settings });
    expect(a).toBeGreaterThan(0.25);
    expect(a).toBeLessThan(0.75);
    const flat: RawImage = { width: W * 2, height: H, data: paint(W * 2, H, () => [20, 40, 220]) };
    const compositor = createCompositor({ width: W, height: H, background: flat, settings });
    const frame = await jpegOf(paint(W, H, () => edge), W, H);
    const at = await pixels(await compositor.composite(frame, 0));
    const expected = edge.map((c, i) => c * a + [20, 40, 220][i]! * (1 - a)) as unknown as Rgb;
    expectClose(at(160, 120), expected, 14, 'soft edge');
    // Clearly neither the untouched subject nor the bare background.
    expect(Math.abs(at(160, 120)[2] - edge[2])).toBeGreaterThan(20);
    expect(Math.abs(at(160, 120)[2] - 220)).toBeGreaterThan(20);
  });

  it('ramps smoothly across a green-to-grey gradient', async () => {
    const flat: RawImage = { width: W, height: H, data: paint(W, H, () => [230, 30, 200]) };
    const compositor = createCompositor({ width: W, height: H, background: flat, settings: { spill: 0 } });
    const mixAt = (x: number): Rgb => {
      const t = x / (W - 1);
      return GREEN.map((g, i) => Math.round(g * (1 - t) + GREY[i]! * t)) as unknown as Rgb;
    };
    const at = await pixels(await compositor.composite(await jpegOf(paint(W, H, mixAt), W, H), 0));
    // The red channel is 230 in the background and at most 128 in the frame: it falls as alpha rises.
    const reds = Array.from({ length: 32 }, (_, i) => at(i * 10, 120)[0]);
    expect(reds[0]).toBeGreaterThan(215);
    expect(reds.at(-1)).toBeLessThan(140);
    expect(reds.filter((r) => r > 150 && r < 210).length).toBeGreaterThan(0);
  });

  it('pans the background with steering', async () => {
    const compositor = createCompositor({ width: W, height: H, background, panScale: 20 });
    const frame = await greenScreenFrame();
    const offsets: number[] = [];
    for (let i = 0; i < 3; i++) offsets.push((await compositor.composite(frame, 1)).panOffset);
    expect(offsets).toEqual([340, 360, 380]);
    const result = await compositor.composite(frame, -0.5);
    expect(result.panOffset).toBe(370);
    const at = await pixels(result);
    expectClose(at(10, 20), backgroundAt(background, 380, 20), 8, 'panned backdrop');
  });

  it('resizes a frame of another size to the configured one', async () => {
    const compositor = createCompositor({ width: W, height: H, background });
    const result = await compositor.composite(await greenScreenFrame(160, 100), 0);
    expect(result.resized).toBe(true);
    const at = await pixels(result);
    expectClose(at(40, 200), RED, 10, 'scaled subject');
    expectClose(at(40, 20), backgroundAt(background, 40 + W, 20), 10, 'scaled backdrop');
  });

  it('rejects a frame that is not an image, and carries on with the next', async () => {
    const compositor = createCompositor({ width: W, height: H, background });
    await expect(compositor.composite(Buffer.from('definitely not a jpeg'), 0)).rejects.toMatchObject({
      reason: 'bad-frame',
    });
    await expect(compositor.composite(Buffer.alloc(0), 0)).rejects.toThrow(/empty/);
    const result = await compositor.composite(await greenScreenFrame(), 0);
    expect(result.jpeg.length).toBeGreaterThan(0);
  });

  it('applies a new key live: a red key removes the red subject and keeps the green', async () => {
    const compositor = createCompositor({ width: W, height: H, background });
    compositor.updateSettings({ hueCenter: 0, hueWidth: 20 });
    expect(compositor.settings().hueCenter).toBe(0);
    const at = await pixels(await compositor.composite(await greenScreenFrame(), 0));
    expectClose(at(80, 200), backgroundAt(background, 80 + W, 200), 8, 'keyed red');
    // Spill suppression pulls the kept green towards max(red, blue).
    expect(at(80, 40)[1]).toBeGreaterThan(100);
    expect(() => compositor.updateSettings({ softness: 3 })).toThrow(/softness/);
    expect(compositor.settings().hueCenter).toBe(0);
  });

  it('filters the output or just the background', async () => {
    const compositor = createCompositor({ width: W, height: H, background, filter: 'grayscale' });
    const frame = await greenScreenFrame();
    let at = await pixels(await compositor.composite(frame, 0));
    for (const [x, y] of [[80, 200], [80, 40]] as const) {
      const [r, g, b] = at(x, y);
      expect(Math.max(r, g, b) - Math.min(r, g, b), `grey at ${x},${y}`).toBeLessThanOrEqual(6);
    }
    compositor.setFilter('grayscale', 'background');
    at = await pixels(await compositor.composite(frame, 0));
    expectClose(at(80, 200), RED, 8, 'subject unfiltered');
    const [r, g, b] = at(80, 40);
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThanOrEqual(6);
    expect(() => compositor.setFilter('posterize' as 'none')).toThrow(/unknown filter/);
  });

  it('refuses a background that does not fit the frame', () => {
    expect(() => createCompositor({ width: W, height: H, background: gradientBackground(W - 1, H) })).toThrow(
      CompositorError,
    );
    const compositor = createCompositor({ width: W, height: H, background });
    expect(() => compositor.setBackground(gradientBackground(W * 2, H + 10))).toThrow(/rows high/);
    expect(() => compositor.setBackground({ width: W, height: H, data: Buffer.alloc(5) })).toThrow(/packed RGB/);
  });
});

describe('latest-frame compositor', () => {
  it('composites the newest frame and drops the stale ones under load', async () => {
    const compositor = createCompositor({ width: W, height: H, background: gradientBackground(W * 2, H) });
    const frame = await greenScreenFrame();
    const shown: number[] = [];
    const driver = createLatestFrameCompositor(compositor, (_result, input) => {
      shown.push(input.seq!);
    });
    for (let seq = 0; seq < 10; seq++) driver.offer({ jpeg: frame, angle: 0, seq });
    await driver.idle();
    expect(shown).toEqual([0, 9]);
    expect(driver.stats()).toMatchObject({ offered: 10, completed: 2, dropped: 8, failed: 0 });
  });
});
