import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel, type ModelMetadata } from '../model/index.ts';
import { selectTrainingBackend } from './backend.ts';
import type { Sample } from './dataset.ts';
import { createFastModel, createLinearModel, LINEAR_OUTPUT_NAMES } from './models.ts';
import { clearDropoutSeeds, dropoutLayers, reseedDropout } from './seeded-dropout.ts';
import { trainModel } from './train.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Frames whose brightness encodes the angle: something a model can learn in a few steps. */
async function samples(count: number): Promise<Sample[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const level = (i % 5) / 4;
      const jpeg = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: level * 255, g: level * 255, b: level * 255 } } }).jpeg().toBuffer();
      return { image: async () => jpeg, angle: level * 2 - 1, throttle: 0.3 };
    }),
  );
}

describe('models', () => {
  beforeAll(async () => {
    expect((await selectTrainingBackend('wasm', () => {})).name).toBe('wasm');
  });

  it('builds the Donkeycar linear model: 120x160x3 in, two single-unit heads out', () => {
    const model = createLinearModel();
    expect(model.inputs[0]!.shape).toEqual([null, 120, 160, 3]);
    expect(model.outputNames).toEqual([...LINEAR_OUTPUT_NAMES]);
    expect(model.getLayer('conv2d_5').outputShape).toEqual([null, 8, 13, 64]);
    expect(model.getLayer('dense_1').outputShape).toEqual([null, 100]);
    expect(model.getLayer('dense_2').outputShape).toEqual([null, 50]);
    expect(model.countParams()).toBe(817028);
    model.dispose();
  });

  it('makes the fast model much smaller than the linear one', () => {
    const fast = createFastModel();
    const linear = createLinearModel();
    expect(fast.inputs[0]!.shape).toEqual([null, 60, 80, 3]);
    expect(fast.countParams()).toBeLessThan(linear.countParams() / 4);
    tf.dispose([fast, linear] as unknown as tf.Tensor[]);
  });

  it('trains on wasm with early stopping, restores the best weights, and saves/loads the same predictions', async () => {
    const data = await samples(20);
    const epochs: number[] = [];
    const result = await trainModel({
      kind: 'fast',
      train: data.slice(0, 16),
      validation: data.slice(16),
      epochs: 4,
      batchSize: 8,
      patience: 1,
      minDelta: 10,
      augment: false,
      onEpoch: (p) => epochs.push(p.epoch),
    });
    // min delta 10 is never met: the first epoch is best and patience 1 stops after the second.
    expect(epochs).toEqual([1, 2]);
    expect(result.metrics.stoppedEarly).toBe(true);
    expect(result.metrics.bestEpoch).toBe(1);
    expect(result.metrics.backend).toBe('wasm');
    expect(Number.isFinite(result.metrics.history[0]!.loss)).toBe(true);

    const frame = tf.randomUniform([1, 60, 80, 3]);
    const before = (result.model.predict(frame) as tf.Tensor[]).map((t) => t.dataSync()[0]);
    const metadata: ModelMetadata = {
      kind: 'fast',
      inputShape: result.inputShape,
      frameSize: [60, 80],
      crop: result.crop,
      normalization: { scale: 1 / 255, offset: 0 },
      outputs: ['angle', 'throttle'],
      tubs: ['tub_1'],
      metrics: result.metrics,
      backend: result.metrics.backend,
      durationS: result.metrics.durationS,
      createdAt: new Date().toISOString(),
    };
    const dir = path.join(tmp, 'model');
    await saveModel(dir, result.model, metadata);
    expect(fs.readdirSync(dir).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const loaded = await loadModel(dir);
    expect(loaded.metadata.tubs).toEqual(['tub_1']);
    const after = (loaded.model.predict(frame) as tf.Tensor[]).map((t) => t.dataSync()[0]);
    expect(after[0]).toBeCloseTo(before[0]!, 5);
    expect(after[1]).toBeCloseTo(before[1]!, 5);
  });

  it('repeats a run exactly from the same seed, dropout included, and reports every batch', async () => {
    const data = await samples(20);
    const run = async () => {
      const progress: Array<[number, number, number]> = [];
      const result = await trainModel({
        kind: 'fast',
        train: data.slice(0, 15),
        validation: data.slice(15),
        epochs: 2,
        batchSize: 4,
        seed: 5,
        onBatch: (p) => progress.push([p.epoch, p.batch, p.batches]),
      });
      const weights = result.model.getWeights().map((w) => Array.from(w.dataSync()));
      result.model.dispose();
      return { weights, progress, history: result.metrics.history };
    };
    const first = await run();
    const second = await run();
    expect(first.progress).toEqual([1, 2].flatMap((epoch) => [1, 2, 3, 4].map((batch) => [epoch, batch, 4])));
    expect(second.history).toEqual(first.history);
    expect(second.weights).toEqual(first.weights);
  });

  it('keeps dropout masks changing from batch to batch under a seed', () => {
    const model = createFastModel({ seed: 1 });
    const layers = dropoutLayers(model);
    expect(layers).toHaveLength(6);
    const x = tf.ones([1, 60, 80, 3]);
    const masked = (step: number) => {
      reseedDropout(layers, 3, step);
      return tf.tidy(() => Array.from((layers[0]!.apply(model.getLayer('conv2d_1').apply(x), { training: true }) as tf.Tensor).dataSync()));
    };
    expect(masked(1)).toEqual(masked(1));
    expect(masked(1)).not.toEqual(masked(2));
    clearDropoutSeeds(layers);
    x.dispose();
    model.dispose();
  });

  it('skips unreadable samples, reports each once, and stops when too few remain', async () => {
    const data = await samples(20);
    const corrupt = (i: number) => ({ ...data[i]!, image: async () => Buffer.from('half a jpeg'), source: `tub t record ${i}` });
    const train = data.slice(0, 16).map((sample, i) => (i === 3 || i === 9 ? corrupt(i) : sample));
    const validation = [...data.slice(16), corrupt(16)];
    const skipped: string[] = [];
    const result = await trainModel({ kind: 'fast', train, validation, epochs: 2, batchSize: 4, augment: false, onSkipped: (m) => skipped.push(m) });
    result.model.dispose();
    expect(result.metrics.epochs).toBe(2);
    expect(result.metrics.skippedSamples).toBe(3);
    expect(skipped.sort()).toEqual([expect.stringMatching(/tub t record 16: cannot decode/), expect.stringMatching(/tub t record 3: cannot decode/), expect.stringMatching(/tub t record 9: cannot decode/)]);

    const mostlyBroken = data.slice(0, 8).map((sample, i) => (i < 5 ? corrupt(i) : sample));
    await expect(trainModel({ kind: 'fast', train: mostlyBroken, validation: data.slice(16), epochs: 1, batchSize: 4 })).rejects.toThrow(
      /5 of 8 training samples could not be read \(last: tub t record \d: cannot decode.*\); not enough remain/,
    );
  });

  it('rejects a dropout rate outside [0, 1)', async () => {
    const data = await samples(4);
    await expect(trainModel({ kind: 'fast', train: data.slice(0, 2), validation: data.slice(2), dropout: 1 })).rejects.toThrow(/dropout must be in \[0, 1\), got 1/);
    expect(() => createFastModel({ dropout: -0.1 })).toThrow(/dropout must be in \[0, 1\)/);
    const lean = createFastModel({ dropout: 0 });
    expect(dropoutLayers(lean)).toHaveLength(0);
    lean.dispose();
  });

  it('reports a missing or broken model directory clearly', async () => {
    await expect(loadModel(path.join(tmp, 'nothing'))).rejects.toThrow(/cannot read .*metadata.json/);
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify({ inputShape: [1, 1, 3] }));
    fs.writeFileSync(path.join(dir, 'model.json'), '{"weightsManifest": []}');
    await expect(loadModel(dir)).rejects.toThrow(/not a tfjs layers model/);
  });
});
