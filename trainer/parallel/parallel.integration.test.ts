import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectTrainingBackend } from '../backend.ts';
import type { Sample } from '../dataset.ts';
import { createFastModel } from '../models.ts';
import { trainModel } from '../train.ts';
import { batchGradients, mergeGradients } from './gradients.ts';

/** Frames whose brightness encodes the angle. */
async function samples(count: number): Promise<Sample[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const level = (i % 7) / 6;
      const jpeg = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: level * 255, g: 128, b: (1 - level) * 255 } } }).jpeg().toBuffer();
      return { image: async () => jpeg, angle: level * 2 - 1, throttle: 0.2 + level / 2 };
    }),
  );
}

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('data-parallel training', () => {
  beforeAll(async () => {
    expect((await selectTrainingBackend('wasm', () => {})).name).toBe('wasm');
  });

  it('merges the gradients of a split batch into the whole batch gradient', () => {
    const model = createFastModel({ seed: 4, dropout: 0 });
    const xs = tf.randomUniform([10, 60, 80, 3], 0, 1, 'float32', 1);
    const ys = [tf.randomUniform([10, 1], -1, 1, 'float32', 2), tf.randomUniform([10, 1], 0, 1, 'float32', 3)];
    const whole = batchGradients(model, xs, ys);
    const [xa, xb] = tf.split(xs, [6, 4]);
    const [ya, yb] = [ys.map((y) => tf.split(y, [6, 4])[0]!), ys.map((y) => tf.split(y, [6, 4])[1]!)];
    const a = batchGradients(model, xa!, ya);
    const b = batchGradients(model, xb!, yb);
    const merged = mergeGradients(a.grads, 6, b.grads, 4);
    expect(merged).toHaveLength(whole.grads.length);
    for (let i = 0; i < merged.length; i++) expect(maxAbsDifference(merged[i]!, whole.grads[i]!)).toBeLessThan(1e-4);
    expect((a.loss * 6 + b.loss * 4) / 10).toBeCloseTo(whole.loss, 4);
    tf.dispose([xs, ...ys, xa!, xb!, ...ya, ...yb, ...whole.grads, ...a.grads, ...b.grads, ...merged]);
    model.dispose();
  });

  it('takes the same steps with a gradient helper process as in one process', async () => {
    const data = await samples(40);
    const common = { kind: 'fast' as const, train: data.slice(0, 32), validation: data.slice(32), epochs: 2, batchSize: 8, seed: 9, dropout: 0, augment: false as const };
    const one = await trainModel({ ...common, processes: 1 });
    const two = await trainModel({ ...common, processes: 2 });
    // each run took real steps: its weights moved away from the shared (seeded) initial weights
    const initial = createFastModel({ seed: 9, dropout: 0 });
    const moved = maxAbsDifference(one.model.getWeights()[0]!, initial.getWeights()[0]!);
    expect(moved).toBeGreaterThan(1e-3);
    const [oneWeights, twoWeights] = [one.model.getWeights(), two.model.getWeights()];
    for (let i = 0; i < oneWeights.length; i++) expect(maxAbsDifference(oneWeights[i]!, twoWeights[i]!)).toBeLessThan(moved / 100);
    expect(two.metrics.history.map((h) => h.loss)).toHaveLength(2);
    for (const [i, h] of two.metrics.history.entries()) expect(h.loss).toBeCloseTo(one.metrics.history[i]!.loss, 3);
    initial.dispose();
    one.model.dispose();
    two.model.dispose();
  });
});
