/**
 * The training loop: epochs of shuffled, augmented batches, validation loss after each, early
 * stopping on val_loss (Donkeycar's patience 5, min delta 0.0005) and the best epoch's weights
 * restored at the end.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { croppedShape, MODEL_FRAME_SHAPE, NO_CROP, type Crop, type ModelKind, type TrainMetrics } from '../model/index.ts';
import { DEFAULT_AUGMENTATIONS, type Augmentations } from './augment.ts';
import { selectTrainingBackend } from './backend.ts';
import { batches, type Sample } from './dataset.ts';
import { createModel } from './models.ts';
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

export interface TrainOptions {
  kind: ModelKind;
  train: readonly Sample[];
  validation: readonly Sample[];
  epochs?: number;
  batchSize?: number;
  patience?: number;
  minDelta?: number;
  crop?: Crop;
  /** false disables augmentation */
  augment?: Augmentations | false;
  /** seeds weights, shuffling, augmentation and dropout masks: the same seed, the same model */
  seed?: number;
  /** dropout rate after each hidden layer (default 0.2, Donkeycar's); 0 for none */
  dropout?: number;
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
   * wasm backend uses one core). Default: 2 with two or more cores and at least 4 batches of data.
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
}

/** Mean loss over a pass of the validation set, weighted by batch size. */
async function validationLoss(
  model: tf.LayersModel,
  samples: readonly Sample[],
  frameSize: [number, number],
  crop: Crop,
  batchSize: number,
  onUnreadable: (sample: Sample, error: Error) => void,
): Promise<number> {
  let total = 0;
  let count = 0;
  for await (const batch of batches(samples, { frameSize, crop, batchSize, onUnreadable })) {
    const losses = model.evaluate(batch.xs, batch.ys, { batchSize: batch.size }) as tf.Scalar[];
    // tfjs 4 returns more values than metricsNames lists for a two-head model (the first one twice);
    // the last one per output is that head's loss, and the model's loss is their sum.
    const perOutput = losses.slice(-model.outputs.length);
    let batchLoss = 0;
    for (const loss of perOutput) batchLoss += (await loss.data())[0]!;
    total += batchLoss * batch.size;
    count += batch.size;
    tf.dispose([...losses, batch.xs, ...batch.ys]);
  }
  if (count === 0) throw new UnreadableDataError(`none of the ${samples.length} validation samples could be read`);
  return total / count;
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

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  const backend = await selectTrainingBackend();
  const { kind, epochs = 100, batchSize = 128, patience = 5, minDelta = 0.0005, crop = NO_CROP, seed = 1 } = options;
  const augment = options.augment === false ? undefined : (options.augment ?? DEFAULT_AUGMENTATIONS);
  const [frameHeight, frameWidth] = MODEL_FRAME_SHAPE[kind];
  const frameSize: [number, number] = [frameHeight, frameWidth];
  const inputShape = croppedShape(frameSize, crop);
  const model = createModel(kind, { inputShape, seed, ...(options.dropout === undefined ? {} : { dropout: options.dropout }) });
  const dropouts = dropoutLayers(model);
  const batchesPerEpoch = Math.ceil(options.train.length / batchSize);
  const started = performance.now();
  const history: TrainMetrics['history'] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | undefined;
  let wait = 0;
  let trained = 0;
  let step = 0;
  const unreadable = unreadableTracker(options.train, options.onSkipped);
  const { onUnreadable } = unreadable;
  const processes = options.processes ?? (os.availableParallelism() >= 2 && options.train.length >= 4 * batchSize ? 2 : 1);
  const helper =
    processes === 2
      ? await GradientHelper.start({ backend: backend.name, kind, inputShape, ...(options.dropout === undefined ? {} : { dropout: options.dropout }), dropoutSeed: seed * 7907 + 1 })
      : undefined;
  /** one optimizer step on a batch, split with the helper when there is one */
  const trainStep = async (xs: tf.Tensor, ys: tf.Tensor[], size: number): Promise<number> => {
    if (!helper || size < 2) {
      reseedDropout(dropouts, seed, step++);
      return ((await model.trainOnBatch(xs, ys)) as number[])[0]!;
    }
    const own = Math.ceil(size / 2);
    const theirs = size - own;
    const [xsOwn, xsTheirs] = tf.split(xs, [own, theirs]);
    const ysParts = ys.map((y) => tf.split(y, [own, theirs]));
    try {
      const remote = await helper.send(step, trainableVariables(model), xsTheirs!, ysParts.map((parts) => parts[1]!));
      reseedDropout(dropouts, seed, step++);
      const local = batchGradients(model, xsOwn!, ysParts.map((parts) => parts[0]!));
      const answer = await remote.answer;
      const remoteGrads = answer.grads.map((grad, i) => tf.tensor(grad, local.grads[i]!.shape));
      const merged = mergeGradients(local.grads, own, remoteGrads, theirs);
      applyGradients(model, merged);
      tf.dispose([...local.grads, ...remoteGrads, ...merged]);
      return (local.loss * own + answer.loss * theirs) / size;
    } finally {
      tf.dispose([xsOwn!, xsTheirs!, ...ysParts.flat()]);
    }
  };
  try {
    for (let epoch = 1; epoch <= epochs && !options.signal?.aborted; epoch++) {
      let lossSum = 0;
      let seen = 0;
      const pass = batches(options.train, { frameSize, crop, batchSize, shuffleSeed: seed * 1000 + epoch, augment, augmentSeed: seed * 7919 + epoch, onUnreadable });
      let batchIndex = 0;
      for await (const batch of pass) {
        let batchLoss: number;
        try {
          batchLoss = await trainStep(batch.xs, batch.ys, batch.size);
          lossSum += batchLoss * batch.size;
          seen += batch.size;
        } finally {
          tf.dispose([batch.xs, ...batch.ys]);
        }
        options.onBatch?.({ epoch, batch: ++batchIndex, batches: batchesPerEpoch, loss: batchLoss });
        if (options.signal?.aborted) break;
      }
      trained += seen;
      if (seen === 0) break;
      const valLoss = await validationLoss(model, options.validation, frameSize, crop, batchSize, onUnreadable);
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
    helper?.close();
    clearDropoutSeeds(dropouts);
    tf.dispose(best?.weights ?? []);
  }
  const durationS = (performance.now() - started) / 1000;
  const last = history.at(-1)?.epoch ?? 0;
  return {
    model,
    inputShape,
    crop,
    metrics: {
      history,
      bestValLoss: best?.loss ?? Number.NaN,
      bestEpoch: best?.epoch ?? 0,
      epochs: last,
      stoppedEarly: wait >= patience,
      durationS,
      backend: backend.name,
      trainSamples: options.train.length,
      validationSamples: options.validation.length,
      skippedSamples: unreadable.count,
      samplesPerS: trained / durationS,
    },
  };
}
