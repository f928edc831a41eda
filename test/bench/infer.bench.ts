/**
 * `infer`: the linear pilot model on one 120x160 frame at a time, as the car runs it (dropout
 * layers left out, see inferenceModel), on the fastest tfjs backend present. Median over 300
 * frames after warm-up.
 */
import * as tf from '@tensorflow/tfjs';
import { backendId, createLinearModel, inferenceModel, MODEL_FRAME_SHAPE, selectBackend } from '../../trainer/index.ts';
import type { Benchmark, Metric } from './types.ts';

const WARMUP = 20;
const FRAMES = 300;

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const bench: Benchmark = {
  name: 'infer',
  description: 'linear pilot model, one 120x160 frame per predict (median fps over 300 frames)',
  async run(): Promise<Metric[]> {
    const backend = await selectBackend();
    process.stderr.write(`  infer: backend ${backend.name}\n`);
    const trained = createLinearModel();
    // As the pilot runs it: the graph without its (inference-time identity) dropout layers.
    const model = inferenceModel(trained);
    const frame = tf.randomUniform([1, ...MODEL_FRAME_SHAPE.linear]);
    const times: number[] = [];
    try {
      for (let i = 0; i < WARMUP + FRAMES; i++) {
        const started = performance.now();
        const outputs = model.predict(frame) as tf.Tensor[];
        await Promise.all(outputs.map((o) => o.data()));
        tf.dispose(outputs);
        if (i >= WARMUP) times.push(performance.now() - started);
      }
    } finally {
      frame.dispose();
      trained.dispose();
    }
    return [
      { bench: 'infer', metric: 'infer_fps', value: Number((1000 / median(times)).toFixed(1)), unit: 'fps' },
      { bench: 'infer', metric: 'infer_backend', value: backendId(backend.name), unit: 'id' },
    ];
  },
};

export default bench;
