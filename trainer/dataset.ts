/**
 * Samples (JPEG frame + labels) → batches of tensors, decoded lazily so memory stays bounded by a
 * couple of batches however large the tubs are. The tub reader supplies the samples.
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { augmentFrame, seededRandom, type Augmentations, type FrameShape } from './augment.ts';

export interface Sample {
  /** the frame's JPEG (or PNG) bytes */
  image: () => Promise<Buffer>;
  angle: number;
  throttle: number;
}

/** Rows removed before the model sees a frame (Donkeycar's ROI crop). */
export interface Crop {
  top: number;
  bottom: number;
}

export const NO_CROP: Crop = { top: 0, bottom: 0 };

export interface Batch {
  xs: tf.Tensor4D;
  /** [angle, throttle], each [n, 1] */
  ys: [tf.Tensor2D, tf.Tensor2D];
  size: number;
}

export interface BatchOptions {
  /** [height, width] frames are resized to before cropping */
  frameSize: [number, number];
  crop?: Crop;
  batchSize: number;
  /** shuffle order each pass, with this seed */
  shuffleSeed?: number;
  augment?: Augmentations;
  augmentSeed?: number;
}

export function croppedShape(frameSize: [number, number], crop: Crop = NO_CROP): [number, number, number] {
  const [height, width] = frameSize;
  if (!Number.isInteger(crop.top) || !Number.isInteger(crop.bottom) || crop.top < 0 || crop.bottom < 0 || crop.top + crop.bottom >= height) {
    throw new Error(`crop {top: ${crop.top}, bottom: ${crop.bottom}} must be non-negative integers leaving rows of a ${height}-row frame`);
  }
  return [height - crop.top - crop.bottom, width, 3];
}

/** Decodes to RGB at `frameSize`, crops rows and scales to [0, 1]. */
export async function decodeFrame(bytes: Buffer, frameSize: [number, number], crop: Crop = NO_CROP): Promise<Float32Array> {
  const [height, width] = frameSize;
  const [outHeight] = croppedShape(frameSize, crop);
  let raw: Buffer;
  try {
    raw = await sharp(bytes).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'fill' }).raw().toBuffer();
  } catch (error) {
    throw new Error(`cannot decode frame image (${bytes.length} bytes): ${(error as Error).message}`);
  }
  const start = crop.top * width * 3;
  const out = new Float32Array(outHeight * width * 3);
  for (let i = 0; i < out.length; i++) out[i] = raw[start + i]! / 255;
  return out;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function checkLabel(name: string, value: number, index: number): number {
  if (!Number.isFinite(value)) throw new Error(`sample ${index}: ${name} is not a finite number (${value})`);
  return value;
}

async function assemble(samples: readonly Sample[], options: BatchOptions, random: () => number): Promise<Batch> {
  const shape = croppedShape(options.frameSize, options.crop);
  const frame: FrameShape = { height: shape[0], width: shape[1], channels: 3 };
  const frameLength = shape[0] * shape[1] * 3;
  const pixels = new Float32Array(samples.length * frameLength);
  const angles = new Float32Array(samples.length);
  const throttles = new Float32Array(samples.length);
  const frames = await Promise.all(samples.map(async (s) => decodeFrame(await s.image(), options.frameSize, options.crop)));
  frames.forEach((f, i) => {
    const sample = samples[i]!;
    let angle = checkLabel('angle', sample.angle, i);
    throttles[i] = checkLabel('throttle', sample.throttle, i);
    if (options.augment) angle = augmentFrame(f, frame, angle, options.augment, random);
    angles[i] = angle;
    pixels.set(f, i * frameLength);
  });
  const n = samples.length;
  return {
    xs: tf.tensor4d(pixels, [n, ...shape]),
    ys: [tf.tensor2d(angles, [n, 1]), tf.tensor2d(throttles, [n, 1])],
    size: n,
  };
}

/**
 * Yields one pass of batches (the last may be smaller). The next batch is decoded while the
 * caller works on the current one; the caller disposes each batch's tensors.
 */
export async function* batches(samples: readonly Sample[], options: BatchOptions): AsyncGenerator<Batch> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`batch size must be a positive integer, got ${options.batchSize}`);
  const order = options.shuffleSeed === undefined ? samples : shuffled(samples, seededRandom(options.shuffleSeed));
  const random = seededRandom(options.augmentSeed ?? 0);
  const chunk = (start: number) => assemble(order.slice(start, start + options.batchSize), options, random);
  let next = order.length > 0 ? chunk(0) : undefined;
  for (let start = 0; next; start += options.batchSize) {
    const current = await next;
    const following = start + options.batchSize;
    next = following < order.length ? chunk(following) : undefined;
    // Keep a rejected prefetch from being reported as unhandled if the consumer stops early.
    next?.catch(() => {});
    yield current;
  }
}

/** Donkeycar's split: a seeded shuffle, then the first `trainFraction` for training. */
export function splitSamples<T>(samples: readonly T[], trainFraction = 0.8, seed = 0): { train: T[]; validation: T[] } {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new Error(`train fraction must be in (0, 1), got ${trainFraction}`);
  const order = shuffled(samples, seededRandom(seed));
  const cut = Math.round(order.length * trainFraction);
  return { train: order.slice(0, cut), validation: order.slice(cut) };
}
