import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectTrainingBackend } from '../backend.ts';

/** Deterministic values in [-1, 1): the same inputs on both backends. */
function seeded(size: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = ((state >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same';
}

function gradients(backend: string, c: Case): { dx: Float32Array; dw: Float32Array } {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(seeded(c.x.reduce((a, b) => a * b), 1), c.x);
    const w = tf.tensor4d(seeded(c.filter.reduce((a, b) => a * b), 2), c.filter);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const upstream = tf.tensor(seeded(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).mul(upstream).sum())([x, w]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

/** Absolute difference, relative to the magnitude once values exceed 1. */
function maxError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    worst = Math.max(worst, diff);
  }
  return worst;
}

const cases: Case[] = [
  // The linear model's layer kinds, scaled down: 5x5/2 valid (odd and even leftovers), 3x3/1 valid.
  { x: [2, 15, 19, 3], filter: [5, 5, 3, 4], stride: 2, pad: 'valid' },
  { x: [3, 16, 14, 4], filter: [5, 5, 4, 5], stride: 2, pad: 'valid' },
  { x: [2, 9, 11, 6], filter: [3, 3, 6, 7], stride: 1, pad: 'valid' },
  { x: [2, 10, 12, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 11, 12, 3], filter: [3, 3, 3, 5], stride: 2, pad: 'same' },
  { x: [1, 13, 10, 2], filter: [5, 5, 2, 3], stride: 2, pad: 'same' },
  { x: [2, 12, 12, 2], filter: [4, 4, 2, 3], stride: 3, pad: 'valid' },
  { x: [2, 7, 9, 3], filter: [1, 1, 3, 2], stride: 1, pad: 'valid' },
];

describe('wasm conv2d gradient kernels', () => {
  beforeAll(async () => {
    const info = await selectTrainingBackend('wasm', () => {});
    expect(info.name).toBe('wasm');
  });

  it.each(cases)('match the cpu backend for x $x, filter $filter, stride $stride, $pad', (c) => {
    const expected = gradients('cpu', c);
    const actual = gradients('wasm', c);
    expect(maxError(actual.dx, expected.dx)).toBeLessThanOrEqual(1e-4);
    expect(maxError(actual.dw, expected.dw)).toBeLessThanOrEqual(1e-4);
  });

  it('leaves no tensors behind', () => {
    tf.setBackend('wasm');
    const before = tf.memory().numBytes;
    gradients('wasm', cases[0]!);
    gradients('wasm', cases[4]!);
    expect(tf.memory().numBytes).toBe(before);
  });
});
