import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_FRAME_SHAPE, modelMetadata } from '../model/index.ts';
import { selectTrainingBackend } from './backend.ts';
import type { Sample } from './dataset.ts';
import { evaluateClosedLoop, toCommand } from './evaluate.ts';
import { createFastModel } from './models.ts';
import { validationLoss } from './validation.ts';

const fastFrame: [number, number] = [MODEL_FRAME_SHAPE.fast[0], MODEL_FRAME_SHAPE.fast[1]];
const fastMetadata = (crop = { top: 0, bottom: 0 }) => modelMetadata({ kind: 'fast', crop, backend: 'wasm' });

beforeAll(async () => {
  expect((await selectTrainingBackend('wasm', () => {})).name).toBe('wasm');
});

describe('toCommand', () => {
  it('clamps to [-1, 1] and turns a NaN into a neutral 0', () => {
    expect(toCommand(3)).toBe(1);
    expect(toCommand(-2)).toBe(-1);
    expect(toCommand(0.25)).toBe(0.25);
    expect(toCommand(Number.NaN)).toBe(0);
  });
});

describe('evaluateClosedLoop', () => {
  it('drives an untrained model on the track and reports well-formed numbers', () => {
    const model = createFastModel({ seed: 3 });
    let ticks = 0;
    const result = evaluateClosedLoop({ model, metadata: fastMetadata(), track: 'default', laps: 1, maxSeconds: 2, throttle: 0.3, onTick: () => ticks++ });
    model.dispose();
    expect(result.track).toBe('default');
    expect(result.lapsAttempted).toBe(1);
    expect(result.lapsCompleted).toBe(0);
    expect(result.lapTimesS).toEqual([]);
    expect(result.endReason).toBe('time');
    expect(result.simulatedS).toBeCloseTo(2, 1);
    expect(ticks).toBeGreaterThanOrEqual(39);
    expect(ticks).toBeLessThanOrEqual(41);
    expect(result.meanAbsCteM).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(result.meanAbsCteM)).toBe(true);
    expect(Number.isInteger(result.offTrackEvents)).toBe(true);
    // The expert finishes a lap of the shipped track in a plausible time.
    expect(result.expertLapS).toBeGreaterThan(3);
    expect(result.expertLapS).toBeLessThan(120);
  });

  it('honours the crop: the model takes the cropped frame', () => {
    const model = createFastModel({ seed: 3, inputShape: [40, 80, 3] });
    const result = evaluateClosedLoop({ model, metadata: fastMetadata({ top: 20, bottom: 0 }), track: 'twisty', laps: 1, maxSeconds: 0.5 });
    model.dispose();
    expect(result.track).toBe('twisty');
    expect(result.simulatedS).toBeGreaterThan(0);
  });

  it('refuses an unknown track and a bad lap count', () => {
    const model = createFastModel();
    const metadata = fastMetadata();
    expect(() => evaluateClosedLoop({ model, metadata, track: 'moon', laps: 1 })).toThrow(/track moon: \(name\): is neither a shipped track \(default, twisty\) nor a \.json file path/);
    expect(() => evaluateClosedLoop({ model, metadata, track: '/nowhere/track.json', laps: 1 })).toThrow(/track \/nowhere\/track.json: \(file\): cannot be read/);
    expect(() => evaluateClosedLoop({ model, metadata, track: 'default', laps: 0 })).toThrow(/laps must be a positive integer/);
    expect(() => evaluateClosedLoop({ model, metadata, track: 'default', laps: 1, throttle: 2 })).toThrow(/throttle/);
    model.dispose();
  });
});

describe('validationLoss', () => {
  it('is the loss of each head as trained (the mean squared error), and their sum', async () => {
    // A model whose heads always answer 0: the MSE is then the mean of the squared labels.
    const model = createFastModel({ seed: 1 });
    model.setWeights(model.getWeights().map((w) => tf.zerosLike(w)));
    const jpeg = await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
    const samples: Sample[] = [0.5, -0.5, 1].map((angle) => ({ image: async () => jpeg, angle, throttle: 0.2 }));
    const result = await validationLoss(model, samples, { frameSize: fastFrame, crop: { top: 0, bottom: 0 }, batchSize: 2 });
    model.dispose();
    expect(result.samples).toBe(3);
    expect(result.angleLoss).toBeCloseTo((0.25 + 0.25 + 1) / 3, 5);
    expect(result.throttleLoss).toBeCloseTo(0.04, 5);
    expect(result.loss).toBeCloseTo(result.angleLoss + result.throttleLoss, 5);
  });

  it('refuses an empty sample set', async () => {
    await expect(validationLoss(createFastModel(), [], { frameSize: fastFrame, crop: { top: 0, bottom: 0 } })).rejects.toThrow(/at least one sample/);
  });
});
