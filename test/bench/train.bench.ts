/**
 * `train`: training throughput of the linear pilot model at batch 128 through the trainer's own loop
 * (JPEG decode, augmentation, the optimizer step) on the fastest tfjs backend present (wasm here,
 * with the trainer's gradient kernels). `train_samples_per_s` uses the default: each batch split
 * with a gradient helper process when there are two cores; `train_samples_per_s_1process` is the
 * same loop in one process. Median batch interval after the first batch of each run.
 */
import sharp from 'sharp';
import { backendId, MODEL_FRAME_SHAPE } from '../../model/index.ts';
import { seededRandom, selectTrainingBackend, trainModel, type Sample } from '../../trainer/index.ts';
import type { Benchmark, Metric } from './types.ts';

const BATCH = 128;
const BATCHES = 5;

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Random frames at the linear model's size, as JPEGs like a tub's. */
async function randomSamples(count: number): Promise<Sample[]> {
  const [height, width] = MODEL_FRAME_SHAPE.linear;
  const random = seededRandom(11);
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = Math.floor(random() * 256);
    const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    samples.push({ image: async () => jpeg, angle: random() * 2 - 1, throttle: random() });
  }
  return samples;
}

async function samplesPerSecond(train: Sample[], validation: Sample[], processes: 1 | 2 | undefined): Promise<number> {
  const stamps: number[] = [];
  const { model } = await trainModel({
    kind: 'linear',
    train,
    validation,
    epochs: 1,
    batchSize: BATCH,
    seed: 1,
    ...(processes ? { processes } : {}),
    onBatch: () => stamps.push(performance.now()),
  });
  model.dispose();
  const intervals = stamps.slice(1).map((at, i) => at - stamps[i]!);
  return BATCH / (median(intervals) / 1000);
}

const bench: Benchmark = {
  name: 'train',
  description: `linear pilot model, batch ${BATCH}, through the training loop: samples/s (median batch interval over ${BATCHES - 1})`,
  async run(): Promise<Metric[]> {
    const backend = await selectTrainingBackend();
    process.stderr.write(`  train: backend ${backend.name}\n`);
    const train = await randomSamples(BATCH * BATCHES);
    const validation = train.slice(0, 8);
    const parallel = await samplesPerSecond(train, validation, undefined);
    const single = await samplesPerSecond(train, validation, 1);
    return [
      { bench: 'train', metric: 'train_samples_per_s', value: Number(parallel.toFixed(1)), unit: 'samples/s' },
      { bench: 'train', metric: 'train_samples_per_s_1process', value: Number(single.toFixed(1)), unit: 'samples/s' },
      { bench: 'train', metric: 'train_backend', value: backendId(backend.name), unit: 'id' },
    ];
  },
};

export default bench;
