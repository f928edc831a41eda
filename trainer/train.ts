/**
 * The training loop: epochs of shuffled, augmented batches, validation loss after each, early
 * stopping on val_loss (Donkeycar's patience 5, min delta 0.0005) and the best epoch's weights
 * restored at the end. Every frame is decoded once, up front, into a cache of RGB bytes when the
 * cache has room, so later epochs spend their time on the optimizer steps.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { categoricalThrottleRange, croppedShape, modelMetadata, NO_CROP, type Crop, type MemorySpec, type ModelDescription, type ModelKind, type TrainMetrics } from '../model/index.ts';
import { DEFAULT_AUGMENTATIONS, type Augmentations } from './augment.ts';
import { selectTrainingBackend } from './backend.ts';
import { batches, disposeBatch, FrameCache, type ModelIO, type Sample } from './dataset.ts';
import { NoValidationSamplesError, validationLoss } from './validation.ts';
import { createModel, LEARNING_RATE } from './models.ts';
import { applyGradients, batchGradients, GradientHelper, mergeGradients, trainableVariables } from './parallel/index.ts';
import { clearDropoutSeeds, dropoutLayers, reseedDropout } from './seeded-dropout.ts';

export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number;
  bestValLoss: number;
  /** epochs since val_loss last improved by minDelta */
  wait: number;
  elapsedS: number;
}

export interface BatchProgress {
  epoch: number;
  /** 1-based index of the batch just trained in this epoch */
  batch: number;
  /** batches per epoch */
  batches: number;
  /** that batch's training loss */
  loss: number;
}

/**
 * The learning rate, set before every step. `constant` is Donkeycar's Adam 1e-3 throughout (with
 * early stopping, the default); `cosine` starts at `peak` and falls along a half cosine to
 * `peak · floor` at the end of the last planned epoch. Cosine reaches a good minimum in a fraction
 * of the epochs when there are many steps to take (300 s of laps: 8 epochs of 75 steps); with few
 * (a 30 s session, 30 steps an epoch) it decays before the model has learnt and ends worse than the
 * constant rate, so it is a choice, not the default.
 */
export type LearningSchedule = { type: 'constant'; rate: number } | { type: 'cosine'; peak: number; floor: number };

export const DONKEYCAR_SCHEDULE: LearningSchedule = { type: 'constant', rate: LEARNING_RATE };
/**
 * Adam from 2e-3 down a half cosine to 1e-4 over the planned epochs. On 300 s of laps it drives
 * as well after 8 epochs as Donkeycar's constant 1e-3 does once early stopping ends it (10-15).
 */
export const COSINE_SCHEDULE: LearningSchedule = { type: 'cosine', peak: 2e-3, floor: 0.05 };

/** The rate at a point of training, `at` in epochs from the start (1.5: half way through the second). */
export function learningRateAt(schedule: LearningSchedule, at: number, epochs: number): number {
  if (schedule.type === 'constant') return schedule.rate;
  const progress = epochs <= 0 ? 1 : Math.min(1, at / epochs);
  return schedule.peak * (schedule.floor + (1 - schedule.floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** Frames kept decoded in memory by default (the rest are decoded on every epoch). */
export const DEFAULT_FRAME_CACHE_BYTES = 1024 * 1024 * 1024;

export interface TrainOptions {
  kind: ModelKind;
  train: readonly Sample[];
  validation: readonly Sample[];
  epochs?: number;
  batchSize?: number;
  patience?: number;
  minDelta?: number;
  crop?: Crop;
  /** categorical: the throttle bins' range (default: Donkeycar's 0.5, raised for faster recordings) */
  throttleRange?: number;
  /** memory: the commands remembered (default Donkeycar's 3); each sample brings its history */
  memory?: MemorySpec;
  /** default DONKEYCAR_SCHEDULE (constant Adam 1e-3); COSINE_SCHEDULE falls over `epochs` */
  schedule?: LearningSchedule;
  /** false disables augmentation */
  augment?: Augmentations | false;
  /** seeds weights, shuffling, augmentation and dropout masks: the same seed, the same model */
  seed?: number;
  /** dropout rate after each hidden layer (default 0.2, Donkeycar's); 0 for none */
  dropout?: number;
  /** decoded frames kept in memory, bytes (default 1 GiB; 0 decodes every epoch) */
  frameCacheBytes?: number;
  onEpoch?: (progress: EpochProgress) => void;
  /** after every training batch, e.g. for a progress bar */
  onBatch?: (progress: BatchProgress) => void;
  /** stops after the current batch; the best weights so far are kept */
  signal?: AbortSignal;
  /**
   * a sample that cannot be read (a missing or corrupt image, a label that is not a number) is
   * skipped, counted and reported here once; training stops only when more than half the training
   * samples or all the validation samples are unreadable
   */
  onSkipped?: (message: string) => void;
  /**
   * processes computing each batch's gradients: 2 splits every batch with a helper process (Node's
   * wasm backend uses one core). Default: 2 on wasm or cpu with two or more cores and at least 4
   * batches of data; tfjs-node uses every core itself.
   */
  processes?: 1 | 2;
}

export class UnreadableDataError extends Error {
  override name = 'UnreadableDataError';
}

export interface TrainResult {
  model: tf.LayersModel;
  metrics: TrainMetrics;
  inputShape: [number, number, number];
  crop: Crop;
  /** what modelMetadata needs besides the tubs: `modelMetadata({ ...result.description, tubs })` */
  description: Omit<ModelDescription, 'tubs'>;
}

function checkOptions(o: TrainOptions): void {
  if (o.train.length === 0) throw new Error('no training samples');
  if (o.validation.length === 0) throw new Error('no validation samples: early stopping needs some');
  const positive = { epochs: o.epochs, batchSize: o.batchSize, patience: o.patience };
  for (const [name, value] of Object.entries(positive)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new Error(`${name} must be a positive integer, got ${value}`);
  }
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${o.dropout}`);
  if (o.minDelta !== undefined && !(o.minDelta >= 0)) throw new Error(`minDelta must be >= 0, got ${o.minDelta}`);
  if (o.throttleRange !== undefined && !(o.throttleRange > 0 && o.throttleRange <= 2)) throw new Error(`throttleRange must be in (0, 2], got ${o.throttleRange}`);
  const s = o.schedule;
  if (s && !(s.type === 'constant' ? s.rate > 0 : s.peak > 0 && s.floor >= 0 && s.floor <= 1)) throw new Error(`learning schedule ${JSON.stringify(s)} needs a positive rate (and a floor in [0, 1])`);
}

/** Remembers the unreadable samples (each is reported once) and stops training when too many are. */
function unreadableTracker(trainSamples: readonly Sample[], report: ((message: string) => void) | undefined) {
  const skipped = new Set<Sample>();
  const train = new Set(trainSamples);
  let trainSkipped = 0;
  return {
    get count() {
      return skipped.size;
    },
    onUnreadable(sample: Sample, error: Error): void {
      if (skipped.has(sample)) return;
      skipped.add(sample);
      if (train.has(sample)) trainSkipped++;
      report?.(`skipped: ${error.message}`);
      if (trainSkipped * 2 > trainSamples.length) {
        throw new UnreadableDataError(`${trainSkipped} of ${trainSamples.length} training samples could not be read (last: ${error.message}); not enough remain to train on`);
      }
    },
  };
}

/** The model's inputs and targets for this kind (its metadata, before training fills in the metrics). */
function modelDescription(options: TrainOptions, crop: Crop): Omit<ModelDescription, 'tubs' | 'backend' | 'metrics'> {
  const { kind } = options;
  if (kind === 'categorical') {
    const fastest = options.train.reduce((max, s) => (Number.isFinite(s.throttle) ? Math.max(max, s.throttle) : max), 0);
    const throttleRange = options.throttleRange ?? categoricalThrottleRange(fastest);
    return { kind, crop, throttleRange };
  }
  if (kind === 'memory') return options.memory ? { kind, crop, memory: options.memory } : { kind, crop };
  return { kind, crop };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  const backend = await selectTrainingBackend();
  const { kind, epochs = 100, batchSize = 128, patience = 5, minDelta = 0.0005, crop = NO_CROP, seed = 1 } = options;
  const schedule = options.schedule ?? DONKEYCAR_SCHEDULE;
  const augment = options.augment === false ? undefined : (options.augment ?? DEFAULT_AUGMENTATIONS);
  const described = modelDescription(options, crop);
  // the metadata's input and output fields are exactly what the batches follow
  const io: ModelIO = modelMetadata({ ...described, backend: backend.name });
  const inputShape = croppedShape(io.frameSize, crop);
  const memoryLength = io.memory?.length;
  const model = createModel(kind, { inputShape, seed, ...(options.dropout === undefined ? {} : { dropout: options.dropout }), ...(memoryLength ? { memoryLength } : {}) });
  const dropouts = dropoutLayers(model);
  const batchesPerEpoch = Math.ceil(options.train.length / batchSize);
  const started = performance.now();
  const history: TrainMetrics['history'] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let wait = 0;
  let trained = 0;
  let step = 0;
  let validateS = 0;
  const unreadable = unreadableTracker(options.train, options.onSkipped);
  const { onUnreadable } = unreadable;
  const frames = new FrameCache(io.frameSize, options.frameCacheBytes ?? DEFAULT_FRAME_CACHE_BYTES);
  const passOptions = { ...io, batchSize, frames, onUnreadable };
  const native = backend.name === 'tensorflow';
  const processes = options.processes ?? (!native && os.availableParallelism() >= 2 && options.train.length >= 4 * batchSize ? 2 : 1);
  const helperStarting =
    processes === 2
      ? GradientHelper.start({
          backend: backend.name,
          kind,
          inputShape,
          ...(options.dropout === undefined ? {} : { dropout: options.dropout }),
          ...(memoryLength ? { memoryLength } : {}),
          dropoutSeed: seed * 7907 + 1,
        })
      : undefined;
  // the helper starts (a second tfjs) while this process decodes the frames
  helperStarting?.catch(() => {});
  let gradientHelper: GradientHelper | undefined;
  try {
    await frames.preload([...options.train, ...options.validation], onUnreadable);
    gradientHelper = await helperStarting;
  } catch (error) {
    void helperStarting?.then((h) => h.close(), () => {});
    model.dispose();
    throw error;
  }
  /** one optimizer step on a batch, split with the helper when there is one */
  const trainStep = async (xs: tf.Tensor[], ys: tf.Tensor[], size: number): Promise<number> => {
    if (!gradientHelper || size < 2) {
      reseedDropout(dropouts, seed, step++);
      return ((await model.trainOnBatch(xs.length === 1 ? xs[0]! : xs, ys)) as number[])[0]!;
    }
    const own = Math.ceil(size / 2);
    const theirs = size - own;
    const xsParts = xs.map((x) => tf.split(x, [own, theirs]));
    const ysParts = ys.map((y) => tf.split(y, [own, theirs]));
    try {
      const remote = await gradientHelper.send(
        step,
        trainableVariables(model),
        xsParts.map((parts) => parts[1]!),
        ysParts.map((parts) => parts[1]!),
      );
      reseedDropout(dropouts, seed, step++);
      const local = batchGradients(
        model,
        xsParts.map((parts) => parts[0]!),
        ysParts.map((parts) => parts[0]!),
      );
      const answer = await remote.answer;
      const remoteGrads = answer.grads.map((grad, i) => tf.tensor(grad, local.grads[i]!.shape));
      const merged = mergeGradients(local.grads, own, remoteGrads, theirs);
      applyGradients(model, merged);
      tf.dispose([...local.grads, ...remoteGrads, ...merged]);
      return (local.loss * own + answer.loss * theirs) / size;
    } finally {
      tf.dispose([...xsParts.flat(), ...ysParts.flat()]);
    }
  };
  const optimizer = model.optimizer as unknown as { learningRate: number };
  try {
    for (let epoch = 1; epoch <= epochs && !options.signal?.aborted; epoch++) {
      let lossSum = 0;
      let seen = 0;
      const pass = batches(options.train, { ...passOptions, shuffleSeed: seed * 1000 + epoch, ...(augment ? { augment } : {}), augmentSeed: seed * 7919 + epoch });
      let batchIndex = 0;
      for await (const batch of pass) {
        let batchLoss: number;
        // per step, so a warm-up and the decay are smooth however few the epochs
        optimizer.learningRate = learningRateAt(schedule, epoch - 1 + batchIndex / batchesPerEpoch, epochs);
        try {
          batchLoss = await trainStep(batch.xs, batch.ys, batch.size);
          lossSum += batchLoss * batch.size;
          seen += batch.size;
        } finally {
          disposeBatch(batch);
        }
        options.onBatch?.({ epoch, batch: ++batchIndex, batches: batchesPerEpoch, loss: batchLoss });
        if (options.signal?.aborted) break;
      }
      trained += seen;
      if (seen === 0) break;
      const validating = performance.now();
      const valLoss = await validationLoss(model, options.validation, passOptions).then(
        (result) => result.loss,
        (error: unknown) => {
          throw error instanceof NoValidationSamplesError ? new UnreadableDataError(error.message) : error;
        },
      );
      validateS += (performance.now() - validating) / 1000;
      history.push({ epoch, loss: lossSum / seen, valLoss });
      if (!best || valLoss < best.loss - minDelta) {
        tf.dispose(best?.weights ?? []);
        best = { loss: valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
        wait = 0;
      } else {
        wait++;
      }
      options.onEpoch?.({ epoch, epochs, loss: lossSum / seen, valLoss, bestValLoss: best.loss, wait, elapsedS: (performance.now() - started) / 1000 });
      if (wait >= patience) break;
    }
    if (best) model.setWeights(best.weights);
  } finally {
    gradientHelper?.close();
    clearDropoutSeeds(dropouts);
    tf.dispose(best?.weights ?? []);
  }
  const durationS = (performance.now() - started) / 1000;
  const last = history.at(-1)?.epoch ?? 0;
  const metrics: TrainMetrics = {
    history,
    bestValLoss: best?.loss ?? Number.NaN,
    bestEpoch: best?.epoch ?? 0,
    epochs: last,
    stoppedEarly: wait >= patience,
    durationS,
    decodeS: frames.decodeS,
    validateS,
    backend: backend.name,
    trainSamples: options.train.length,
    validationSamples: options.validation.length,
    skippedSamples: unreadable.count,
    samplesPerS: trained / durationS,
  };
  return { model, inputShape, crop, metrics, description: { ...described, backend: backend.name, metrics } };
}
