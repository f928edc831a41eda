import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { modelMetadata, saveModel } from '../../model/index.ts';
import { createModel } from '../../trainer/index.ts';
import { ConstantPilot, type PilotInput } from './pilot.ts';
import { modelPointerFile, parseModelPointer } from './model-pointer.ts';
import { createPointerPilot, type PointerPilot } from './pointer-pilot.ts';

const INPUT_SHAPE: [number, number, number] = [40, 80, 3];
const metadata = modelMetadata({ kind: 'fast', crop: { top: 20, bottom: 0 }, backend: 'cpu', createdAt: new Date(0) });

/** A trainer model whose last layer is zeroed and biased, so its answer identifies it. */
async function saveIdentifiedModel(dir: string, angle: number): Promise<void> {
  const model = createModel('fast', { inputShape: INPUT_SHAPE, seed: 1 });
  for (const layer of model.layers.filter((l) => l.getWeights().length === 2 && l.outputShape.at(-1) === 1)) {
    const [kernel, bias] = layer.getWeights();
    layer.setWeights([tf.zerosLike(kernel!), tf.fill(bias!.shape, layer.name.includes('throttle') ? 0.1 : angle)]);
  }
  await saveModel(dir, model, metadata);
  model.dispose();
}

let root: string;
let frame: PilotInput;
let pointerFile: string;
const fallback = () => Promise.resolve(new ConstantPilot({ angle: 0.9, throttle: 0 }, 'expert'));
const quiet = { info: () => {}, warn: vi.fn() };

async function point(dir: string, name: string, version: number | string): Promise<void> {
  // as the agent does: write aside, then rename over the pointer
  await fs.mkdir(path.dirname(pointerFile), { recursive: true });
  await fs.writeFile(`${pointerFile}.tmp`, JSON.stringify({ dir, name, version }));
  await fs.rename(`${pointerFile}.tmp`, pointerFile);
}

async function angleOf(pilot: PointerPilot): Promise<number> {
  return (await pilot.infer(frame)).angle;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pointer-pilot-'));
  await saveIdentifiedModel(path.join(root, 'models', 'a'), 0.25);
  await saveIdentifiedModel(path.join(root, 'models', 'b'), -0.5);
  await fs.mkdir(path.join(root, 'models', 'empty'), { recursive: true });
  const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 90, g: 140, b: 200 } } }).jpeg().toBuffer();
  frame = { frame: { jpeg, width: 160, height: 120, seq: 1, ts: Date.now() } };
}, 60_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

let run = 0;
function freshPointer(): void {
  pointerFile = modelPointerFile(path.join(root, `data-${++run}`), '7');
}

describe('the pilot following the agent\'s model pointer', () => {
  it('reads a pointer and refuses malformed ones with a clear error', () => {
    expect(parseModelPointer('{"dir": "/m/3", "name": "linear", "version": 3}')).toEqual({ dir: '/m/3', name: 'linear', version: 3 });
    expect(() => parseModelPointer('{"dir": "relative", "name": "x", "version": 1}')).toThrow(/dir must be an absolute path/);
    expect(() => parseModelPointer('{"dir": "/m", "version": 1}')).toThrow(/name must be/);
    expect(() => parseModelPointer('{"dir": "/m", "name": "x"}')).toThrow(/version must be/);
    expect(() => parseModelPointer('{not json')).toThrow(/not JSON/);
  });

  it('prefers a pointer present at start over drive.pilot and names the model in telemetry', async () => {
    freshPointer();
    await point(path.join(root, 'models', 'a'), 'linear', 3);
    const pilot = await createPointerPilot({ pointerFile, fallback, log: quiet });
    try {
      expect(pilot.name).toBe('linear v3');
      expect(pilot.kind).toBe('model');
      expect(await angleOf(pilot)).toBeCloseTo(0.25, 4);
    } finally {
      await pilot.close();
    }
  });

  it('swaps to a new pointer between frames: every frame is answered, by the old model then the new one', async () => {
    freshPointer();
    await point(path.join(root, 'models', 'a'), 'linear', 3);
    const pilot = await createPointerPilot({ pointerFile, fallback, log: quiet, pollMs: 10 });
    try {
      const angles: number[] = [];
      let swapped = false;
      let after = 0;
      const loop = (async () => {
        while (after < 3) {
          angles.push(await angleOf(pilot));
          if (swapped) after++;
        }
      })();
      await point(path.join(root, 'models', 'b'), 'linear', 4);
      await vi.waitFor(() => expect(pilot.name).toBe('linear v4'), { timeout: 10_000, interval: 10 });
      swapped = true;
      await loop;
      const firstNew = angles.findIndex((a) => Math.abs(a + 0.5) < 1e-4);
      expect(firstNew).toBeGreaterThan(0);
      expect(angles.slice(0, firstNew).every((a) => Math.abs(a - 0.25) < 1e-4)).toBe(true);
      expect(angles.slice(firstNew).every((a) => Math.abs(a + 0.5) < 1e-4)).toBe(true);
    } finally {
      await pilot.close();
    }
  });

  it('keeps the running model when the pointer names a broken model, reports why, and follows the next good one', async () => {
    freshPointer();
    quiet.warn.mockClear();
    await point(path.join(root, 'models', 'a'), 'linear', 3);
    const pilot = await createPointerPilot({ pointerFile, fallback, log: quiet, pollMs: 60_000 });
    try {
      await point(path.join(root, 'models', 'empty'), 'linear', 4);
      await pilot.check();
      expect(pilot.name).toBe('linear v3');
      expect(pilot.problem).toMatch(/not a model directory/);
      expect(quiet.warn).toHaveBeenCalledWith(expect.objectContaining({ error: expect.stringMatching(/not a model directory/) }), expect.stringMatching(/keeping the running pilot/));
      await fs.writeFile(pointerFile, '{"dir": 42}');
      await pilot.check();
      expect(pilot.problem).toMatch(/dir must be an absolute path/);
      expect(await angleOf(pilot)).toBeCloseTo(0.25, 4);
      await point(path.join(root, 'models', 'b'), 'linear', 5);
      await pilot.check();
      expect(pilot.name).toBe('linear v5');
      expect(pilot.problem).toBeUndefined();
      expect(await angleOf(pilot)).toBeCloseTo(-0.5, 4);
    } finally {
      await pilot.close();
    }
  });

  it('drives with drive.pilot until a pointer appears, and again once the agent removes it', async () => {
    freshPointer();
    const pilot = await createPointerPilot({ pointerFile, fallback, log: quiet, pollMs: 60_000 });
    try {
      expect(pilot.name).toBe('expert');
      expect(pilot.model).toBeUndefined();
      expect(await angleOf(pilot)).toBe(0.9);
      await point(path.join(root, 'models', 'b'), 'fast', 'r7');
      await pilot.check();
      expect(pilot.model).toBe('fast vr7');
      expect(await angleOf(pilot)).toBeCloseTo(-0.5, 4);
      await fs.rm(pointerFile);
      await pilot.check();
      expect(pilot.name).toBe('expert');
    } finally {
      await pilot.close();
    }
  });

  it('starts on drive.pilot when the pointer at start names a broken model', async () => {
    freshPointer();
    await point(path.join(root, 'models', 'missing'), 'linear', 9);
    const pilot = await createPointerPilot({ pointerFile, fallback, log: quiet, pollMs: 60_000 });
    try {
      expect(pilot.name).toBe('expert');
      expect(pilot.problem).toMatch(/does not exist/);
    } finally {
      await pilot.close();
    }
  });
});
