/**
 * Samples (JPEG frame + labels) → batches of tensors through the model's own preprocessing
 * (model/: frame size, crop, normalisation) and its own targets (a value per head, or Donkeycar's
 * bins; a memory model's second input). Each frame is decoded once into a frame cache of RGB bytes
 * at the model's frame size when the cache has room (epochs after the first decode nothing), else
 * on the fly, so memory stays bounded however large the tubs are.
 */
import * as tf from '@tensorflow/tfjs';
import { croppedShape, decodeFrameRgb, frameToInputInto, NO_CROP, PIXEL_NORMALIZATION, writeOneHot, type Binning, type Command, type InputSpec, type MemorySpec } from '../model/index.ts';
import { augmentFrame, seededRandom, type Augmentations, type FrameShape } from './augment.ts';

export interface Sample {
  /** the frame's JPEG (or PNG) bytes */
  image: () => Promise<Buffer>;
  angle: number;
  throttle: number;
  /** memory models: the commands recorded just before this one, oldest first */
  history?: readonly Command[];
  /** where it came from, for messages (e.g. `tub_3_26-11-30 record 17`) */
  source?: string;
}

/** How a model is fed and what its heads learn: the parts of its metadata the batches follow. */
export interface ModelIO extends InputSpec {
  categorical?: { angle: Binning; throttle: Binning } | undefined;
  memory?: MemorySpec | undefined;
}

export interface Batch {
  /** the model's inputs: the frames [n, h, w, 3], and for a memory model the commands [n, 2·length] */
  xs: tf.Tensor[];
  /** the model's targets, angle head first: [n, 1] values, or [n, bins] one-hot */
  ys: tf.Tensor[];
  size: number;
}

export interface BatchOptions extends ModelIO {
  batchSize: number;
  /** shuffle order each pass, with this seed */
  shuffleSeed?: number;
  augment?: Augmentations;
  augmentSeed?: number;
  /** decoded frames kept between passes (see FrameCache); without one every pass decodes */
  frames?: FrameCache;
  /**
   * a sample whose image cannot be read or decoded, or whose labels are not numbers, is left out of
   * its batch and reported here (without this, it fails the pass)
   */
  onUnreadable?: (sample: Sample, error: Error) => void;
}

function sampleName(sample: Sample, index: number): string {
  return sample.source ?? `sample ${index}`;
}

/**
 * Decoded frames (RGB bytes at the model's frame size, before the crop) by sample, up to a byte
 * budget; frames beyond it are decoded again on every pass. A sample that failed to read is
 * remembered with its error, so it is not read (and reported) again.
 */
export class FrameCache {
  private readonly frames = new Map<Sample, Uint8Array | Error>();
  private used = 0;
  /** wall seconds spent waiting for decodes (they run on libuv's threads, several at once) */
  decodeS = 0;
  decoded = 0;

  constructor(
    readonly frameSize: [number, number],
    readonly maxBytes: number,
  ) {}

  get bytes(): number {
    return this.used;
  }

  /** The frame's RGB bytes; throws naming the sample when it cannot be read. */
  async rgb(sample: Sample, index: number): Promise<Uint8Array> {
    const cached = this.frames.get(sample);
    if (cached instanceof Error) throw cached;
    if (cached) return cached;
    let rgb: Uint8Array;
    try {
      rgb = await decodeSample(sample, index, this.frameSize);
    } catch (error) {
      this.frames.set(sample, error as Error);
      throw error;
    }
    if (this.used + rgb.length <= this.maxBytes) {
      this.frames.set(sample, rgb);
      this.used += rgb.length;
    }
    return rgb;
  }

  /** Decodes every sample now, `concurrency` at a time (what the first epoch would otherwise wait for). */
  async preload(samples: readonly Sample[], onUnreadable: (sample: Sample, error: Error) => void, concurrency = 8): Promise<void> {
    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < samples.length && this.used < this.maxBytes) {
        const i = next++;
        await this.rgb(samples[i]!, i).catch((error: Error) => onUnreadable(samples[i]!, error));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    this.decodeS += (performance.now() - started) / 1000;
  }
}

async function decodeSample(sample: Sample, index: number, frameSize: [number, number]): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await sample.image();
  } catch (error) {
    throw new Error(`${sampleName(sample, index)}: cannot read its image: ${(error as Error).message}`);
  }
  try {
    return await decodeFrameRgb(bytes, frameSize);
  } catch (error) {
    throw new Error(`${sampleName(sample, index)}: ${(error as Error).message}`);
  }
}

/** Checks what the frame cannot show: the labels, and a memory model's history. */
function checkLabels(sample: Sample, index: number, memory: MemorySpec | undefined): void {
  for (const [name, value] of [['angle', sample.angle], ['throttle', sample.throttle]] as const) {
    if (!Number.isFinite(value)) throw new Error(`${sampleName(sample, index)}: ${name} is not a finite number (${value})`);
  }
  if (!memory) return;
  const history = sample.history;
  if (!history || history.length !== memory.length) {
    throw new Error(`${sampleName(sample, index)}: a memory model needs the ${memory.length} commands before each record, got ${history?.length ?? 0}`);
  }
  if (!history.every((c) => Number.isFinite(c.angle) && Number.isFinite(c.throttle))) throw new Error(`${sampleName(sample, index)}: its command history has a value that is not a finite number`);
}

/** The sample's frame as raw RGB bytes, after checking its labels; throws naming the sample. */
async function readSample(sample: Sample, index: number, options: BatchOptions): Promise<Uint8Array> {
  checkLabels(sample, index, options.memory);
  return options.frames ? options.frames.rgb(sample, index) : decodeSample(sample, index, options.frameSize);
}

/** A batch of the samples that read; undefined when none did. */
async function assemble(samples: readonly Sample[], options: BatchOptions, random: () => number): Promise<Batch | undefined> {
  const shape = croppedShape(options.frameSize, options.crop);
  const frame: FrameShape = { height: shape[0], width: shape[1], channels: 3 };
  const frameLength = shape[0] * shape[1] * 3;
  const read = await Promise.allSettled(samples.map((sample, i) => readSample(sample, i, options)));
  const good: { sample: Sample; rgb: Uint8Array }[] = [];
  read.forEach((result, i) => {
    if (result.status === 'fulfilled') return void good.push({ sample: samples[i]!, rgb: result.value });
    if (!options.onUnreadable) throw result.reason;
    options.onUnreadable(samples[i]!, result.reason as Error);
  });
  if (good.length === 0) return undefined;
  const n = good.length;
  const pixels = new Float32Array(n * frameLength);
  const angles = new Float32Array(n);
  const throttles = new Float32Array(n);
  const memory = options.memory ? new Float32Array(n * 2 * options.memory.length) : undefined;
  good.forEach(({ sample, rgb }, i) => {
    frameToInputInto(rgb, options.frameSize, options.crop ?? NO_CROP, options.normalization ?? PIXEL_NORMALIZATION, pixels, i * frameLength);
    const f = pixels.subarray(i * frameLength, (i + 1) * frameLength);
    const { angle, flipped } = options.augment ? augmentFrame(f, frame, sample.angle, options.augment, random) : { angle: sample.angle, flipped: false };
    angles[i] = angle;
    throttles[i] = sample.throttle;
    if (memory) {
      // a mirrored frame is a mirrored world: the commands that led to it are mirrored too
      const row = i * 2 * options.memory!.length;
      sample.history!.forEach((command, k) => {
        memory[row + 2 * k] = flipped ? -command.angle : command.angle;
        memory[row + 2 * k + 1] = command.throttle;
      });
    }
  });
  const xs: tf.Tensor[] = [tf.tensor4d(pixels, [n, ...shape])];
  if (memory) xs.push(tf.tensor2d(memory, [n, 2 * options.memory!.length]));
  return { xs, ys: targets(angles, throttles, options.categorical), size: n };
}

function targets(angles: Float32Array, throttles: Float32Array, bins: ModelIO['categorical']): tf.Tensor[] {
  const n = angles.length;
  if (!bins) return [tf.tensor2d(angles, [n, 1]), tf.tensor2d(throttles, [n, 1])];
  const oneHot = (values: Float32Array, binning: Binning) => {
    const out = new Float32Array(n * binning.bins);
    values.forEach((value, i) => writeOneHot(value, binning, out, i * binning.bins));
    return tf.tensor2d(out, [n, binning.bins]);
  };
  return [oneHot(angles, bins.angle), oneHot(throttles, bins.throttle)];
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Frees a batch's tensors. */
export function disposeBatch(batch: Batch): void {
  tf.dispose([...batch.xs, ...batch.ys]);
}

/**
 * Yields one pass of batches (the last may be smaller). The next batch is assembled while the
 * caller works on the current one; the caller disposes each batch (disposeBatch).
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
