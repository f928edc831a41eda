import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferenceModel } from '../model/index.ts';
import { selectTrainingBackend } from './backend.ts';
import { createFastModel, createLinearModel } from './models.ts';

describe('inferenceModel', () => {
  beforeAll(async () => {
    await selectTrainingBackend('wasm', () => {});
  });

  it('predicts exactly what the trained model predicts, without the dropout layers', () => {
    for (const model of [createFastModel({ seed: 2 }), createLinearModel({ seed: 3 })]) {
      const lean = inferenceModel(model);
      expect(lean.layers.some((l) => l.getClassName() === 'Dropout')).toBe(false);
      expect(lean.layers.length).toBeLessThan(model.layers.length);
      const shape = model.inputs[0]!.shape.slice(1) as number[];
      const frame = tf.randomUniform([2, ...shape], 0, 1, 'float32', 9);
      const expected = (model.predict(frame) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
      const actual = (lean.predict(frame) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
      expect(actual).toEqual(expected);
      // Shared weights: a change to the trained model shows in the lean one, and it can be rebuilt again.
      model.setWeights(model.getWeights().map((w) => w.mul(0.5)));
      const again = inferenceModel(model);
      expect((again.predict(frame) as tf.Tensor[]).map((t) => Array.from(t.dataSync()))).toEqual((model.predict(frame) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
      frame.dispose();
      model.dispose();
    }
  });
});
