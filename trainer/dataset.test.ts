import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { decodeFrame } from '../model/index.ts';
import { batches, disposeBatch, splitSamples, type Sample } from './dataset.ts';

async function solidJpeg(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 100 }).toBuffer();
}

describe('dataset', () => {
  it('feeds training what the pilot feeds the model: the frame through the model normalisation', async () => {
    const jpeg = await solidJpeg(32, 24, [10, 200, 90]);
    const input = { frameSize: [12, 16] as [number, number], crop: { top: 2, bottom: 0 }, normalization: { scale: 2 / 255, offset: -1 } };
    const pass = batches([{ image: async () => jpeg, angle: 0, throttle: 0 }], { ...input, batchSize: 1 });
    const batch = (await pass.next()).value!;
    expect(batch.xs[0]!.shape).toEqual([1, 10, 16, 3]);
    expect(Array.from(batch.xs[0]!.dataSync())).toEqual(Array.from(await decodeFrame(jpeg, input.frameSize, input.crop, input.normalization)));
    expect(Math.min(...batch.xs[0]!.dataSync())).toBeLessThan(0);
    disposeBatch(batch);
  });

  it('leaves unreadable samples out of their batch and names each one', async () => {
    const good = await solidJpeg(16, 12, [200, 200, 200]);
    const samples: Sample[] = [
      { image: async () => good, angle: 0.1, throttle: 0.5, source: 'tub t record 0' },
      { image: async () => Buffer.from('truncated'), angle: 0.2, throttle: 0.5, source: 'tub t record 1' },
      { image: () => Promise.reject(new Error('ENOENT: no such file')), angle: 0.3, throttle: 0.5, source: 'tub t record 2' },
      { image: async () => good, angle: Number.NaN, throttle: 0.5, source: 'tub t record 3' },
      { image: async () => good, angle: 0.4, throttle: 0.5, source: 'tub t record 4' },
    ];
    const reported: string[] = [];
    const angles: number[] = [];
    for await (const batch of batches(samples, { frameSize: [12, 16], batchSize: 4, onUnreadable: (_s, error) => reported.push(error.message) })) {
      angles.push(...Array.from(batch.ys[0]!.dataSync(), (a) => Math.round(a * 10)));
      disposeBatch(batch);
    }
    expect(angles).toEqual([1, 4]);
    expect(reported).toEqual([
      expect.stringMatching(/^tub t record 1: cannot decode frame image/),
      expect.stringMatching(/^tub t record 2: cannot read its image: ENOENT/),
      expect.stringMatching(/^tub t record 3: angle is not a finite number/),
    ]);
    // without a handler, the first unreadable sample fails the pass, named
    const pass = batches(samples.slice(1, 2), { frameSize: [12, 16], batchSize: 4 });
    await expect(pass.next()).rejects.toThrow(/tub t record 1: cannot decode/);
  });

  it('batches every sample once, with labels in step with the frames', async () => {
    const samples: Sample[] = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const jpeg = await solidJpeg(16, 12, [i * 50, i * 50, i * 50]);
        return { image: async () => jpeg, angle: i / 10, throttle: 0.5 };
      }),
    );
    const seen: number[] = [];
    const sizes: number[] = [];
    for await (const batch of batches(samples, { frameSize: [12, 16], batchSize: 2, shuffleSeed: 3 })) {
      const angles = batch.ys[0]!.dataSync();
      const means = tf.tidy(() => batch.xs[0]!.mean([1, 2, 3]).dataSync());
      angles.forEach((angle, i) => expect(means[i]).toBeCloseTo((Math.round(angle * 10) * 50) / 255, 1));
      seen.push(...Array.from(angles, (a) => Math.round(a * 10)));
      sizes.push(batch.size);
      disposeBatch(batch);
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('names a sample with a non-numeric label', async () => {
    const jpeg = await solidJpeg(16, 12, [0, 0, 0]);
    const pass = batches([{ image: async () => jpeg, angle: Number.NaN, throttle: 0 }], { frameSize: [12, 16], batchSize: 4 });
    await expect(pass.next()).rejects.toThrow(/sample 0: angle/);
  });

  it("feeds a memory model the commands before each frame, mirrored with the frame, and a categorical model Donkeycar's one-hot bins", async () => {
    const jpeg = await solidJpeg(16, 12, [30, 60, 90]);
    const history = [
      { angle: 0.5, throttle: 0.2 },
      { angle: -0.25, throttle: 0.3 },
    ];
    const sample: Sample = { image: async () => jpeg, angle: 0.4, throttle: 0.35, history };
    const memory = { length: 2, startThrottle: 0 };
    const read = async (flip: number) => {
      const batch = (await batches([sample], { frameSize: [12, 16], batchSize: 1, memory, augment: { brightness: 0, shadow: 0, flip } }).next()).value!;
      const values = [Array.from(batch.xs[1]!.dataSync()), Array.from(batch.ys[0]!.dataSync())];
      disposeBatch(batch);
      return values;
    };
    expect(await read(0)).toEqual([[0.5, 0.2, -0.25, 0.3].map(Math.fround), [Math.fround(0.4)]]);
    expect(await read(1)).toEqual([[-0.5, 0.2, 0.25, 0.3].map(Math.fround), [Math.fround(-0.4)]]);

    const bins = { angle: { bins: 15, offset: 1, range: 2 }, throttle: { bins: 20, offset: 0, range: 0.5 } };
    const categorical = (await batches([sample], { frameSize: [12, 16], batchSize: 1, categorical: bins }).next()).value!;
    expect(categorical.ys.map((y: tf.Tensor) => y.shape)).toEqual([
      [1, 15],
      [1, 20],
    ]);
    // linear_bin(0.4) = round(1.4 / (2/14)) = 10; linear_bin(0.35, N=20, offset=0, R=0.5) = 14
    expect(Array.from(categorical.ys[0]!.dataSync()).indexOf(1)).toBe(10);
    expect(Array.from(categorical.ys[1]!.dataSync()).indexOf(1)).toBe(14);
    disposeBatch(categorical);
  });

  it('splits 80/20 without losing or repeating samples', () => {
    const { train, validation } = splitSamples(Array.from({ length: 10 }, (_, i) => i));
    expect(train).toHaveLength(8);
    expect([...train, ...validation].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
