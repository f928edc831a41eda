/**
 * The pilot models, Donkeycar's families (donkeycar/parts/keras.py) in tfjs:
 *
 * - `linear` is KerasLinear (default_n_linear): five valid convolutions and two dense layers, each
 *   ReLU with dropout 0.2, and one linear Dense(1) head per output (n_outputs0 = angle,
 *   n_outputs1 = throttle), trained with MSE and Adam 1e-3.
 * - `fast` keeps that structure for a quarter of the pixels: a 60x80 input (the camera frame
 *   downscaled by two, where lane edges are still several pixels wide), fewer filters and a 3x3
 *   stride-2 middle layer. About a tenth of the linear model's multiply-adds, for slow cars'
 *   computers and quick experiments.
 * - `categorical` is KerasCategorical (default_categorical): the same convolutions with the fourth
 *   at stride 2, and a softmax head per output over Donkeycar's bins (15 angle bins, 20 throttle
 *   bins; model/categorical.ts), trained with categorical cross-entropy. Donkeycar weights the two
 *   heads 0.5 each; tfjs cannot save loss weights, and equal weights of 1 give the same direction
 *   of descent (Adam normalises the scale away), so the loss reported is twice Donkeycar's.
 * - `memory` is KerasMemory (default_memory, mem_depth 0): the linear convolutions, plus a second
 *   input `mem_in` of the last 3 commands through Dense(4)→Dense(2) (ReLU, dropout 0.1),
 *   concatenated before the dense layers; a tanh angle head and a sigmoid throttle head, MSE.
 */
import * as tf from '@tensorflow/tfjs';
import { ANGLE_BINNING, DEFAULT_MEMORY, MODEL_FRAME_SHAPE, throttleBinning, type ModelKind } from '../model/index.ts';
import { FastDropout } from './fast-dropout.ts';

export const LINEAR_OUTPUT_NAMES = ['n_outputs0', 'n_outputs1'] as const;
export const CATEGORICAL_OUTPUT_NAMES = ['angle_out', 'throttle_out'] as const;
export const LEARNING_RATE = 1e-3;
export const DEFAULT_DROPOUT = 0.2;
/** Donkeycar's dropout in the memory branch (drop2) */
const MEMORY_DROPOUT = 0.1;

interface ConvSpec {
  filters: number;
  kernel: number;
  stride: number;
}

const DONKEYCAR_CORE: ConvSpec[] = [
  { filters: 24, kernel: 5, stride: 2 },
  { filters: 32, kernel: 5, stride: 2 },
  { filters: 64, kernel: 5, stride: 2 },
  { filters: 64, kernel: 3, stride: 1 },
  { filters: 64, kernel: 3, stride: 1 },
];

const CONVS: Record<ModelKind, ConvSpec[]> = {
  linear: DONKEYCAR_CORE,
  fast: [
    { filters: 16, kernel: 5, stride: 2 },
    { filters: 32, kernel: 3, stride: 2 },
    { filters: 48, kernel: 3, stride: 2 },
    { filters: 64, kernel: 3, stride: 1 },
  ],
  // core_cnn_layers(img_in, drop, l4_stride=2)
  categorical: DONKEYCAR_CORE.map((conv, i) => (i === 3 ? { ...conv, stride: 2 } : conv)),
  memory: DONKEYCAR_CORE,
};

const DENSE: Record<ModelKind, number[]> = { linear: [100, 50], fast: [64, 32], categorical: [100, 50], memory: [100, 50] };

/** What each head is trained against: a value (MSE) or a distribution over bins (cross-entropy). */
export type HeadLoss = 'meanSquaredError' | 'categoricalCrossentropy';

export function headLoss(kind: ModelKind): HeadLoss {
  return kind === 'categorical' ? 'categoricalCrossentropy' : 'meanSquaredError';
}

export function outputNames(kind: ModelKind): readonly [string, string] {
  return kind === 'categorical' ? CATEGORICAL_OUTPUT_NAMES : LINEAR_OUTPUT_NAMES;
}

export interface ModelOptions {
  /** [height, width, channels] after cropping; defaults to the kind's frame shape */
  inputShape?: [number, number, number];
  /** seeds the weight initialisers, for reproducible tests */
  seed?: number;
  /** dropout rate after each hidden layer, in [0, 1); 0 leaves the dropout layers out */
  dropout?: number;
  /** memory: commands in the second input (default Donkeycar's 3) */
  memoryLength?: number;
}

export function createModel(kind: ModelKind, options: ModelOptions = {}): tf.LayersModel {
  const inputShape = options.inputShape ?? MODEL_FRAME_SHAPE[kind];
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`model input shape must be three positive integers [h, w, c], got [${inputShape.join(', ')}]`);
  }
  const dropout = options.dropout ?? DEFAULT_DROPOUT;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${dropout}`);
  const memoryLength = options.memoryLength ?? DEFAULT_MEMORY.length;
  if (!Number.isInteger(memoryLength) || memoryLength < 1) throw new Error(`memory length must be a positive integer, got ${memoryLength}`);
  let seed = options.seed;
  const maybeDropout = (x: tf.SymbolicTensor, rate = dropout) => (dropout > 0 && rate > 0 ? (new FastDropout({ rate }).apply(x) as tf.SymbolicTensor) : x);
  const initializer = () => (seed === undefined ? 'glorotUniform' : tf.initializers.glorotUniform({ seed: seed++ }));
  const dense = (units: number, name: string, activation: 'relu' | 'linear' | 'tanh' | 'sigmoid' | 'softmax', x: tf.SymbolicTensor) =>
    tf.layers.dense({ units, activation, kernelInitializer: initializer(), name }).apply(x) as tf.SymbolicTensor;

  const image = tf.input({ shape: inputShape, name: 'img_in' });
  let x = image as tf.SymbolicTensor;
  CONVS[kind].forEach((conv, i) => {
    x = tf.layers
      .conv2d({ filters: conv.filters, kernelSize: conv.kernel, strides: conv.stride, activation: 'relu', padding: 'valid', kernelInitializer: initializer(), name: `conv2d_${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
    x = maybeDropout(x);
  });
  x = tf.layers.flatten({ name: 'flattened' }).apply(x) as tf.SymbolicTensor;
  const inputs = [image];
  if (kind === 'memory') {
    const memory = tf.input({ shape: [2 * memoryLength], name: 'mem_in' });
    inputs.push(memory);
    let y = memory as tf.SymbolicTensor;
    for (let i = 1; i < memoryLength; i++) y = maybeDropout(dense(2 * (memoryLength - i), `mem_c_${i}`, 'relu', y), MEMORY_DROPOUT);
    x = tf.layers.concatenate({ name: 'concatenate' }).apply([x, y]) as tf.SymbolicTensor;
  }
  DENSE[kind].forEach((units, i) => {
    x = maybeDropout(dense(units, `dense_${i + 1}`, 'relu', x));
  });
  const [angleName, throttleName] = outputNames(kind);
  const outputs =
    kind === 'categorical'
      ? [dense(ANGLE_BINNING.bins, angleName, 'softmax', x), dense(throttleBinning().bins, throttleName, 'softmax', x)]
      : kind === 'memory'
        ? [dense(1, angleName, 'tanh', x), dense(1, throttleName, 'sigmoid', x)]
        : [dense(1, angleName, 'linear', x), dense(1, throttleName, 'linear', x)];
  const model = tf.model({ inputs, outputs, name: `pilot_${kind}` });
  compileModel(model, kind);
  return model;
}

/** Each head's loss (the total is their sum, as in Keras) and Adam 1e-3. */
export function compileModel(model: tf.LayersModel, kind: ModelKind, learningRate = LEARNING_RATE): void {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: [headLoss(kind), headLoss(kind)] });
}

export function createLinearModel(options?: ModelOptions): tf.LayersModel {
  return createModel('linear', options);
}

export function createFastModel(options?: ModelOptions): tf.LayersModel {
  return createModel('fast', options);
}
