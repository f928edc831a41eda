/**
 * Every model kind end to end below the pilot: one training step, its metadata, a save/load round
 * trip, and the same commands from the saved model as from the trained one (a memory model over a
 * sequence of frames, so its state is exercised too).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANGLE_BINNING, croppedShape, decodeFrame, loadModel, MODEL_FRAME_SHAPE, MODEL_KINDS, ModelDriver, modelMetadata, saveModel, type ModelKind } from '../model/index.ts';
import { selectTrainingBackend } from './backend.ts';
import type { Sample } from './dataset.ts';
import { createModel, outputNames } from './models.ts';
import { trainModel } from './train.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'model-kinds-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let jpegs: Buffer[];
beforeAll(async () => {
  expect((await selectTrainingBackend('wasm', () => {})).name).toBe('wasm');
  jpegs = await Promise.all(
    [0, 1, 2, 3].map((i) => sharp({ create: { width: 160, height: 120, channels: 3, background: { r: i * 80, g: 255 - i * 60, b: 128 } } }).jpeg().toBuffer()),
  );
});

/** Frames whose colour says the angle; memory samples carry the three commands before them. */
function samples(count: number, kind: ModelKind): Sample[] {
  return Array.from({ length: count }, (_, i) => {
    const angle = (i % 4) / 2 - 0.75;
    const history = kind === 'memory' ? [1, 2, 3].map((k) => ({ angle: ((i + 4 - k) % 4) / 2 - 0.75, throttle: 0.3 })) : undefined;
    return { image: async () => jpegs[i % 4]!, angle, throttle: 0.3, ...(history ? { history } : {}), source: `sample ${i}` };
  });
}

describe.each(MODEL_KINDS)('the %s model', (kind) => {
  it('takes a training step, keeps what it needs in its metadata, and drives the same after a save/load round trip', async () => {
    const data = samples(12, kind);
    const crop = { top: kind === 'fast' ? 10 : 20, bottom: 0 };
    const result = await trainModel({ kind, train: data.slice(0, 8), validation: data.slice(8), epochs: 1, batchSize: 4, seed: 3, crop, augment: false, processes: 1 });
    const [height, width] = MODEL_FRAME_SHAPE[kind];
    const inputShape = croppedShape([height, width], crop);
    expect(result.inputShape).toEqual(inputShape);
    expect(result.model.outputNames).toEqual([...outputNames(kind)]);
    expect(Number.isFinite(result.metrics.history[0]!.loss)).toBe(true);
    // the step moved the weights away from the seeded start
    const initial = createModel(kind, { inputShape, seed: 3 });
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(result.model.getWeights()[0]!, initial.getWeights()[0]!))).dataSync()[0]!);
    expect(moved).toBeGreaterThan(0);
    initial.dispose();

    const metadata = modelMetadata({ ...result.description, tubs: ['t'] });
    expect(metadata).toMatchObject({ kind, crop, inputShape, frameSize: [height, width] });
    if (kind === 'categorical') expect(metadata.categorical).toEqual({ angle: ANGLE_BINNING, throttle: { bins: 20, offset: 0, range: 0.5 } });
    else expect(metadata.categorical).toBeUndefined();
    if (kind === 'memory') expect(metadata.memory).toEqual({ length: 3, startThrottle: 0 });
    else expect(metadata.memory).toBeUndefined();

    const dir = path.join(tmp, kind);
    await saveModel(dir, result.model, metadata);
    const loaded = await loadModel(dir);
    expect(loaded.metadata).toEqual(JSON.parse(JSON.stringify(metadata)));
    const frames = await Promise.all(jpegs.map((jpeg) => decodeFrame(jpeg, metadata.frameSize, metadata.crop, metadata.normalization)));
    const trained = new ModelDriver(result.model, metadata);
    const reloaded = new ModelDriver(loaded.model, loaded.metadata);
    const commands = (driver: ModelDriver) => frames.map((pixels) => driver.decideSync(pixels));
    const before = commands(trained);
    const after = commands(reloaded);
    after.forEach((command, i) => {
      expect(command.angle).toBeCloseTo(before[i]!.angle, 5);
      expect(command.throttle).toBeCloseTo(before[i]!.throttle, 5);
    });
    for (const { angle, throttle } of after) {
      expect(Math.abs(angle)).toBeLessThanOrEqual(1);
      expect(Math.abs(throttle)).toBeLessThanOrEqual(1);
    }
    if (kind === 'categorical') {
      // a categorical model answers bin values only
      for (const { angle, throttle } of after) {
        expect(Number.isInteger(Math.round(((angle + 1) * 14) / 2 * 1e6) / 1e6)).toBe(true);
        expect(Number.isInteger(Math.round(((throttle * 20) / 0.5) * 1e6) / 1e6)).toBe(true);
      }
    }
    if (kind === 'memory') {
      // the same frame after other commands is another input: reset() makes the driver start over
      reloaded.reset();
      expect(commands(reloaded)).toEqual(after);
    }
    [trained, reloaded].forEach((d) => d.dispose());
    loaded.model.dispose();
    result.model.dispose();
  }, 60_000);
});

describe('memory model training data', () => {
  it('refuses a sample without the commands before it, naming it', async () => {
    const data = samples(8, 'memory').map((s, i) => (i === 2 ? { ...s, history: s.history!.slice(1) } : s));
    const skipped: string[] = [];
    const result = await trainModel({ kind: 'memory', train: data.slice(0, 6), validation: data.slice(6), epochs: 1, batchSize: 4, augment: false, processes: 1, onSkipped: (m) => skipped.push(m) });
    result.model.dispose();
    expect(skipped).toEqual(['skipped: sample 2: a memory model needs the 3 commands before each record, got 2']);
  }, 60_000);
});
