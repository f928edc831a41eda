import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeFrame, frameToInput } from './input.ts';

async function solidJpeg(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 100 }).toBuffer();
}

describe('frameToInput', () => {
  it('crops the top and bottom rows and scales bytes to [0, 1]', () => {
    // 4 rows x 1 column: row r has value r * 60 in every channel.
    const raw = Uint8Array.from([0, 0, 0, 60, 60, 60, 120, 120, 120, 255, 255, 255]);
    const input = frameToInput(raw, [4, 1], { top: 1, bottom: 1 });
    expect(Array.from(input)).toEqual([60 / 255, 60 / 255, 60 / 255, 120 / 255, 120 / 255, 120 / 255].map((v) => Math.fround(v)));
  });

  it('names the size it expected when the frame has the wrong number of bytes', () => {
    expect(() => frameToInput(new Uint8Array(10), [4, 1])).toThrow(/expected 4x1x3 = 12/);
  });
});

describe('decodeFrame', () => {
  it('decodes and resizes a frame to the model size, scaled to [0, 1], with the crop removed', async () => {
    const jpeg = await solidJpeg(320, 240, [255, 0, 128]);
    const pixels = await decodeFrame(jpeg, [12, 16], { top: 4, bottom: 2 });
    expect(pixels.length).toBe(6 * 16 * 3);
    expect(pixels[0]).toBeGreaterThan(0.97);
    expect(pixels[1]).toBeLessThan(0.03);
    expect(pixels[2]).toBeCloseTo(128 / 255, 1);
  });

  it('rejects undecodable images with a clear error', async () => {
    await expect(decodeFrame(Buffer.from('not a jpeg'), [12, 16])).rejects.toThrow(/cannot decode frame image/);
  });
});
