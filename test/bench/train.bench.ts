/**
 * `train`: training throughput of the linear pilot model at batch 128 on random frames, on the
 * fastest tfjs backend present (wasm here, with the trainer's gradient kernels). One warm-up
 * batch, then the median over a few batches.
 */
import * as tf from '@tensorflow/tfjs';
import { createLinearModel, MODEL_FRAME_SHAPE, selectBackend } from '../../trainer/index.ts';
import type { Benchmark, Metric } from './types.ts';

const BATCH = 128;
const BATCHES = 3;

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const bench: Benchmark = {
  name: 'train',
  description: `linear pilot model, batch ${BATCH}: samples/s over ${BATCHES} batches after a warm-up`,
  async run(): Promise<Metric[]> {
    const backend = await selectBackend();
    process.stderr.write(`  train: backend ${backend.name}\n`);
    const model = createLinearModel({ seed: 1 });
    const xs = tf.randomUniform([BATCH, ...MODEL_FRAME_SHAPE.linear]);
    const ys = [tf.randomUniform([BATCH, 1], -1, 1), tf.randomUniform([BATCH, 1], 0, 1)];
    const rates: number[] = [];
    try {
      await model.trainOnBatch(xs, ys);
      for (let i = 0; i < BATCHES; i++) {
        const started = performance.now();
        await model.trainOnBatch(xs, ys);
        rates.push(BATCH / ((performance.now() - started) / 1000));
      }
    } finally {
      tf.dispose([xs, ...ys]);
      model.dispose();
    }
    return [{ bench: 'train', metric: 'train_samples_per_s', value: Number(median(rates).toFixed(1)), unit: 'samples/s' }];
  },
};

export default bench;
