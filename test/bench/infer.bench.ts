/**
 * `infer`: the linear pilot model on one 120x160 frame at a time, as the car runs it (dropout
 * layers left out, see inferenceModel), on the fastest tfjs backend present. `infer_fps` is the
 * model alone (median over 300 frames after warm-up); `infer_fps_frame` is the car's whole per-frame
 * path through the model pilot: the camera's 640x480 JPEG decoded, resized, scaled and predicted.
 * `infer_fps_<kind>` is each model kind through ModelDriver, the code the pilot runs after the
 * decode: its inputs (a memory model's past commands too) in, its heads read back (a categorical
 * model's bins unbinned) to a command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { createModelPilot } from '../../car/pilot/model-pilot.ts';
import { backendId, croppedShape, inferenceModel, MODEL_FRAME_SHAPE, MODEL_KINDS, ModelDriver, modelMetadata, saveModel, selectBackend, type ModelKind } from '../../model/index.ts';
import { createLinearModel, createModel, seededRandom } from '../../trainer/index.ts';
import type { Benchmark, Metric } from './types.ts';

const WARMUP = 20;
const FRAMES = 300;

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeFrames(run: (i: number) => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + FRAMES; i++) {
    const started = performance.now();
    await run(i);
    if (i >= WARMUP) times.push(performance.now() - started);
  }
  return 1000 / median(times);
}

/** A few camera frames (640x480 JPEG, noise so the decoder works as on a real image). */
async function cameraFrames(count: number): Promise<Buffer[]> {
  const random = seededRandom(5);
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(640 * 480 * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = Math.floor(random() * 256);
    frames.push(await sharp(pixels, { raw: { width: 640, height: 480, channels: 3 } }).jpeg({ quality: 80 }).toBuffer());
  }
  return frames;
}

/** One kind through ModelDriver on a few random input frames, one at a time. */
async function kindFps(kind: ModelKind, backend: Awaited<ReturnType<typeof selectBackend>>['name']): Promise<number> {
  const metadata = modelMetadata({ kind, backend });
  const model = createModel(kind, { seed: 1 });
  const driver = new ModelDriver(model, metadata);
  const random = seededRandom(9);
  const size = croppedShape(metadata.frameSize, metadata.crop).reduce((a, b) => a * b, 1);
  const frames = Array.from({ length: 4 }, () => Float32Array.from({ length: size }, () => random()));
  try {
    return await timeFrames(async (i) => {
      await driver.decide(frames[i % frames.length]!);
    });
  } finally {
    driver.dispose();
    model.dispose();
  }
}

const bench: Benchmark = {
  name: 'infer',
  description: "linear pilot model, one 120x160 frame per predict (median fps over 300 frames); the car's whole per-frame path; each model kind through ModelDriver",
  async run(): Promise<Metric[]> {
    const backend = await selectBackend();
    process.stderr.write(`  infer: backend ${backend.name}\n`);
    const trained = createLinearModel();
    // As the pilot runs it: the graph without its (inference-time identity) dropout layers.
    const model = inferenceModel(trained);
    const frame = tf.randomUniform([1, ...MODEL_FRAME_SHAPE.linear]);
    let modelFps: number;
    try {
      modelFps = await timeFrames(async () => {
        const outputs = model.predict(frame) as tf.Tensor[];
        await Promise.all(outputs.map((o) => o.data()));
        tf.dispose(outputs);
      });
    } finally {
      frame.dispose();
    }

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infer-bench-'));
    let frameFps: number;
    try {
      await saveModel(dir, trained, modelMetadata({ kind: 'linear', backend: backend.name }));
      const pilot = await createModelPilot(dir);
      const jpegs = await cameraFrames(8);
      try {
        frameFps = await timeFrames(async (i) => {
          await pilot.infer({ frame: { jpeg: jpegs[i % jpegs.length]!, width: 640, height: 480, seq: i, ts: Date.now() } });
        });
      } finally {
        await pilot.close();
      }
    } finally {
      trained.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const perKind: Metric[] = [];
    for (const kind of MODEL_KINDS) {
      const fps = await kindFps(kind, backend.name);
      const [h, w] = MODEL_FRAME_SHAPE[kind];
      perKind.push({ bench: 'infer', metric: `infer_fps_${kind}`, value: Number(fps.toFixed(1)), unit: `fps (${h}x${w} input → command)` });
    }
    return [
      { bench: 'infer', metric: 'infer_fps', value: Number(modelFps.toFixed(1)), unit: 'fps' },
      { bench: 'infer', metric: 'infer_fps_frame', value: Number(frameFps.toFixed(1)), unit: 'fps (640x480 JPEG → decision)' },
      ...perKind,
      { bench: 'infer', metric: 'infer_backend', value: backendId(backend.name), unit: 'id' },
    ];
  },
};

export default bench;
