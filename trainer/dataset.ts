/**
 * Samples (JPEG frame + labels) → batches of tensors, decoded lazily so memory stays bounded by a
 * couple of batches however large the tubs are. The tub reader supplies the samples.
 */
import * as tf from '@tensorflow/tfjs';
import { croppedShape, decodeFrame, type InputSpec } from '../model/index.ts';
import { augmentFrame, seededRandom, type Augmentations, type FrameShape } from './augment.ts';

export interface Sample {
  /** the frame's JPEG (or PNG) bytes */
  image: () => Promise<Buffer>;
  angle: number;
  throttle: number;
  /** where it came from, for messages (e.g. `tub_3_26-11-30 record 17`) */
  source?: string;
}

export interface Batch {
  xs: tf.Tensor4D;
  /** [angle, throttle], each [n, 1] */
  ys: [tf.Tensor2D, tf.Tensor2D];
  size: number;
}

/** The frames go through the model's own preprocessing (frame size, crop, normalisation: model/). */
export interface BatchOptions extends InputSpec {
  batchSize: number;
  /** shuffle order each pass, with this seed */
  shuffleSeed?: number;
  augment?: Augmentations;
  augmentSeed?: number;
  /**
   * a sample whose image cannot be read or decoded, or whose labels are not numbers, is left out of
   * its batch and reported here (without this, it fails the pass)
   */
  onUnreadable?: (sample: Sample, error: Error) => void;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function sampleName(sample: Sample, index: number): string {
  return sample.source ?? `sample ${index}`;
}

/** The sample's frame, after checking its labels; throws naming the sample. */
async function readSample(sample: Sample, index: number, options: BatchOptions): Promise<Float32Array> {
  for (const [name, value] of [['angle', sample.angle], ['throttle', sample.throttle]] as const) {
    if (!Number.isFinite(value)) throw new Error(`${sampleName(sample, index)}: ${name} is not a finite number (${value})`);
  }
  let bytes: Buffer;
  try {
    bytes = await sample.image();
  } catch (error) {
    throw new Error(`${sampleName(sample, index)}: cannot read its image: ${(error as Error).message}`);
  }
  try {
    return await decodeFrame(bytes, options.frameSize, options.crop, options.normalization);
  } catch (error) {
    throw new Error(`${sampleName(sample, index)}: ${(error as Error).message}`);
  }
}

/** A batch of the samples that read; undefined when none did. */
async function assemble(samples: readonly Sample[], options: BatchOptions, random: () => number): Promise<Batch | undefined> {
  const shape = croppedShape(options.frameSize, options.crop);
  const frame: FrameShape = { height: shape[0], width: shape[1], channels: 3 };
  const frameLength = shape[0] * shape[1] * 3;
  const read = await Promise.allSettled(samples.map((sample, i) => readSample(sample, i, options)));
  const good: { sample: Sample; pixels: Float32Array }[] = [];
  read.forEach((result, i) => {
    if (result.status === 'fulfilled') return void good.push({ sample: samples[i]!, pixels: result.value });
    if (!options.onUnreadable) throw result.reason;
    options.onUnreadable(samples[i]!, result.reason as Error);
  });
  if (good.length === 0) return undefined;
  const n = good.length;
  const pixels = new Float32Array(n * frameLength);
  const angles = new Float32Array(n);
  const throttles = new Float32Array(n);
  good.forEach(({ sample, pixels: f }, i) => {
    throttles[i] = sample.throttle;
    angles[i] = options.augment ? augmentFrame(f, frame, sample.angle, options.augment, random) : sample.angle;
    pixels.set(f, i * frameLength);
  });
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
    if (current) yield current;
  }
}

/** Donkeycar's split: a seeded shuffle, then the first `trainFraction` for training. */
export function splitSamples<T>(samples: readonly T[], trainFraction = 0.8, seed = 0): { train: T[]; validation: T[] } {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new Error(`train fraction must be in (0, 1), got ${trainFraction}`);
  const order = shuffled(samples, seededRandom(seed));
  const cut = Math.round(order.length * trainFraction);
  return { train: order.slice(0, cut), validation: order.slice(cut) };
}
