import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeFrame, ModelDriver, modelMetadata, saveModel, type ModelKind, type ModelMetadata } from '../../model/index.ts';
import { createModel } from '../../trainer/index.ts';
import type { PilotInput } from './pilot.ts';
import { createModelPilot, isModelDir, type ModelPilot } from './model-pilot.ts';

const CROP = { top: 20, bottom: 0 };
const INPUT_SHAPE: [number, number, number] = [40, 80, 3];

function metadata(overrides: Partial<ModelMetadata> = {}): ModelMetadata {
  return { ...modelMetadata({ kind: 'fast', crop: CROP, backend: 'cpu', createdAt: new Date(0) }), ...overrides };
}

/** A model that ignores the image and always answers `bias`: its answers identify it. */
async function saveConstantModel(dir: string, bias: [number, number]): Promise<void> {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: INPUT_SHAPE }),
      tf.layers.dense({ units: 2, kernelInitializer: 'zeros', biasInitializer: tf.initializers.constant({ value: 0 }) }),
    ],
  });
  const [kernel] = model.layers[1]!.getWeights();
  const newBias = tf.tensor1d(bias);
  model.layers[1]!.setWeights([kernel!, newBias]);
  newBias.dispose();
  await saveModel(dir, model, metadata());
  model.dispose();
}

let root: string;
let frame: PilotInput;
const dirA = () => path.join(root, 'a');
const dirB = () => path.join(root, 'b');

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'model-pilot-'));
  await saveConstantModel(dirA(), [0.25, -0.5]);
  await saveConstantModel(dirB(), [-0.75, 0.5]);
  const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 90, g: 140, b: 200 } } }).jpeg().toBuffer();
  frame = { frame: { jpeg, width: 160, height: 120, seq: 1, ts: Date.now() } };
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function expectAnswer(pilot: ModelPilot, angle: number, throttle: number): Promise<void> {
  const out = await pilot.infer(frame);
  expect(out.angle).toBeCloseTo(angle, 5);
  expect(out.throttle).toBeCloseTo(throttle, 5);
}

describe('createModelPilot', () => {
  it('runs a trained-architecture model on a real JPEG and answers finite values in [-1, 1]', async () => {
    const dir = path.join(root, 'fast');
    const model = createModel('fast', { inputShape: INPUT_SHAPE, seed: 1 });
    await saveModel(dir, model, metadata());
    model.dispose();
    const pilot = await createModelPilot(dir);
    try {
      expect(pilot.kind).toBe('model');
      expect(pilot.name).toBe('model:fast');
      const out = await pilot.infer(frame);
      for (const value of [out.angle, out.throttle]) {
        expect(Number.isFinite(value)).toBe(true);
        expect(Math.abs(value)).toBeLessThanOrEqual(1);
      }
    } finally {
      await pilot.close();
    }
  });

  it('clamps the model answers to [-1, 1]', async () => {
    const dir = path.join(root, 'loud');
    await saveConstantModel(dir, [3, -7]);
    const pilot = await createModelPilot(dir);
    await expectAnswer(pilot, 1, -1);
    await pilot.close();
  });

  it('swaps models between frames: every inference answers, first the old model, then the new one', async () => {
    const pilot = await createModelPilot(dirA());
    await expectAnswer(pilot, 0.25, -0.5);
    const answers: number[] = [];
    let roundsAfterSwap = -1;
    // The drive loop: inferences one after another (two at once, to be harsh), never waiting for the swap.
    const loop = (async () => {
      while (roundsAfterSwap < 3) {
        const [one, two] = await Promise.all([pilot.infer(frame), pilot.infer(frame)]);
        answers.push(one.angle, two.angle);
        if (roundsAfterSwap >= 0) roundsAfterSwap++;
      }
    })();
    await pilot.swap(dirB());
    roundsAfterSwap = 0;
    await loop;
    expect(answers.every((a) => Math.abs(a - 0.25) < 1e-5 || Math.abs(a + 0.75) < 1e-5)).toBe(true);
    const firstNew = answers.findIndex((a) => Math.abs(a + 0.75) < 1e-5);
    // The inferences started before the swap completed were answered by the old model.
    expect(firstNew).toBeGreaterThanOrEqual(2);
    // Once the new model answers, the old one never does again.
    expect(answers.slice(firstNew).every((a) => Math.abs(a + 0.75) < 1e-5)).toBe(true);
    expect(pilot.name).toBe('model:b');
    await expectAnswer(pilot, -0.75, 0.5);
    await pilot.close();
  });

  it('keeps the running model when the new one cannot be loaded', async () => {
    const broken = path.join(root, 'broken');
    await fs.mkdir(broken, { recursive: true });
    await fs.writeFile(path.join(broken, 'model.json'), '{"not": "a model"');
    await fs.writeFile(path.join(broken, 'metadata.json'), JSON.stringify(metadata()));
    const mismatched = path.join(root, 'mismatched');
    await fs.cp(dirA(), mismatched, { recursive: true });
    await fs.writeFile(path.join(mismatched, 'metadata.json'), JSON.stringify(metadata({ crop: { top: 0, bottom: 0 } })));

    const pilot = await createModelPilot(dirA());
    await expect(pilot.swap(broken)).rejects.toThrow(/cannot load the model in .*broken/);
    await expect(pilot.swap(mismatched)).rejects.toThrow(/inputShape \[40, 80, 3\] does not match/);
    await expect(pilot.swap(path.join(root, 'missing'))).rejects.toThrow(/does not exist/);
    await expectAnswer(pilot, 0.25, -0.5);
    expect(pilot.name).toBe('model:a');
    // A later good update still goes through.
    await pilot.swap(dirB());
    await expectAnswer(pilot, -0.75, 0.5);
    await pilot.close();
  });

  it('rejects a frame that is not an image without breaking the next one', async () => {
    const pilot = await createModelPilot(dirA());
    await expect(pilot.infer({ frame: { ...frame.frame, jpeg: Buffer.from('not a jpeg') } })).rejects.toThrow(/cannot decode the camera frame/);
    await expectAnswer(pilot, 0.25, -0.5);
    await pilot.close();
  });

  it('frees the old model after a swap and everything on close', async () => {
    const pilot = await createModelPilot(dirA());
    await pilot.infer(frame);
    const running = tf.memory().numTensors;
    await pilot.swap(dirB());
    await pilot.infer(frame);
    expect(tf.memory().numTensors).toBe(running);
    await pilot.close();
    await expect(pilot.infer(frame)).rejects.toThrow(/closed/);
  });

  it('follows a `current` symlink that is moved to a new model', async () => {
    const current = path.join(root, 'current');
    await fs.symlink(dirA(), current);
    const pilot = await createModelPilot(current);
    const stop = pilot.watch(20);
    try {
      expect(pilot.name).toBe('model:a');
      const next = `${current}.next`;
      await fs.symlink(dirB(), next);
      await fs.rename(next, current);
      // loading model b takes a few seconds on a loaded machine: the bound is for a pilot that never follows
      await vi.waitFor(() => expect(pilot.name).toBe('model:b'), { timeout: 45_000, interval: 20 });
      await expectAnswer(pilot, -0.75, 0.5);
    } finally {
      stop();
      await pilot.close();
    }
  }, 60_000);

  it('fails clearly when the directory holds no model', async () => {
    const empty = path.join(root, 'empty');
    await fs.mkdir(empty, { recursive: true });
    expect(await isModelDir(empty)).toBe(false);
    expect(await isModelDir(dirA())).toBe(true);
    await expect(createModelPilot(empty)).rejects.toThrow(/is not a model directory \(no model\.json\)/);
  });

  it('drives on every kind and hot-swaps between kinds between frames; a memory model starts from a clean memory after each swap', async () => {
    const save = async (kind: ModelKind, seed: number) => {
      const dir = path.join(root, `kind-${kind}`);
      const meta = modelMetadata({ kind, backend: 'cpu', createdAt: new Date(0) });
      const model = createModel(kind, { seed });
      await saveModel(dir, model, meta);
      model.dispose();
      return { dir, meta };
    };
    const memory = await save('memory', 5);
    const categorical = await save('categorical', 6);
    const linear = await save('linear', 7);
    // what a fresh driver of the saved memory model answers on this frame, three frames running
    const { loadModel } = await import('../../model/index.ts');
    const reference = await loadModel(memory.dir);
    const driver = new ModelDriver(reference.model, reference.metadata);
    const pixels = await decodeFrame(frame.frame.jpeg, memory.meta.frameSize, memory.meta.crop, memory.meta.normalization);
    const fresh = [0, 1, 2].map(() => driver.decideSync(pixels));
    driver.dispose();
    reference.model.dispose();
    // its own earlier commands are part of its input
    expect(fresh[1]).not.toEqual(fresh[0]);

    const pilot = await createModelPilot(memory.dir);
    try {
      expect(pilot.metadata.kind).toBe('memory');
      for (const expected of fresh) {
        const out = await pilot.infer(frame);
        expect(out.angle).toBeCloseTo(expected.angle, 5);
        expect(out.throttle).toBeCloseTo(expected.throttle, 5);
      }
      await pilot.swap(categorical.dir);
      expect(pilot.metadata.kind).toBe('categorical');
      const binned = await pilot.infer(frame);
      // Donkeycar's bins: angles k·(2/14) − 1, throttles k·(0.5/20)
      expect(Math.abs(((binned.angle + 1) * 7) - Math.round((binned.angle + 1) * 7))).toBeLessThan(1e-9);
      expect(Math.abs(binned.throttle * 40 - Math.round(binned.throttle * 40))).toBeLessThan(1e-9);
      await pilot.swap(linear.dir);
      expect(pilot.metadata.kind).toBe('linear');
      const straight = await pilot.infer(frame);
      expect(Number.isFinite(straight.angle) && Math.abs(straight.angle) <= 1).toBe(true);
      // back to the memory model: the same answers as a fresh start, not a continuation
      await pilot.swap(memory.dir);
      const again = await pilot.infer(frame);
      expect(again.angle).toBeCloseTo(fresh[0]!.angle, 5);
      expect(again.throttle).toBeCloseTo(fresh[0]!.throttle, 5);
    } finally {
      await pilot.close();
    }
  }, 60_000);
});
