/**
 * The pilot models. `linear` is Donkeycar's KerasLinear (default_n_linear): five valid
 * convolutions and two dense layers, each ReLU with dropout 0.2, and one linear Dense(1) head per
 * output (n_outputs0 = angle, n_outputs1 = throttle), trained with MSE and Adam 1e-3.
 *
 * `fast` keeps that structure for a quarter of the pixels: a 60x80 input (the camera frame
 * downscaled by two, where lane edges are still several pixels wide), fewer filters and a 3x3
 * stride-2 middle layer. About a tenth of the linear model's multiply-adds, for slow cars'
 * computers and quick experiments.
 */
import * as tf from '@tensorflow/tfjs';
import { MODEL_FRAME_SHAPE, type ModelKind } from '../model/index.ts';
import { FastDropout } from './fast-dropout.ts';

export const OUTPUT_NAMES = ['n_outputs0', 'n_outputs1'] as const;
export const LEARNING_RATE = 1e-3;
export const DEFAULT_DROPOUT = 0.2;

interface ConvSpec {
  filters: number;
  kernel: number;
  stride: number;
}

const CONVS: Record<ModelKind, ConvSpec[]> = {
  linear: [
    { filters: 24, kernel: 5, stride: 2 },
    { filters: 32, kernel: 5, stride: 2 },
    { filters: 64, kernel: 5, stride: 2 },
    { filters: 64, kernel: 3, stride: 1 },
    { filters: 64, kernel: 3, stride: 1 },
  ],
  fast: [
    { filters: 16, kernel: 5, stride: 2 },
    { filters: 32, kernel: 3, stride: 2 },
    { filters: 48, kernel: 3, stride: 2 },
    { filters: 64, kernel: 3, stride: 1 },
  ],
};

const DENSE: Record<ModelKind, number[]> = { linear: [100, 50], fast: [64, 32] };

export interface ModelOptions {
  /** [height, width, channels] after cropping; defaults to the kind's frame shape */
  inputShape?: [number, number, number];
  /** seeds the weight initialisers, for reproducible tests */
  seed?: number;
  /** dropout rate after each hidden layer, in [0, 1); 0 leaves the dropout layers out */
  dropout?: number;
}

export function createModel(kind: ModelKind, options: ModelOptions = {}): tf.LayersModel {
  const inputShape = options.inputShape ?? MODEL_FRAME_SHAPE[kind];
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(`model input shape must be three positive integers [h, w, c], got [${inputShape.join(', ')}]`);
  }
  const dropout = options.dropout ?? DEFAULT_DROPOUT;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${dropout}`);
  let seed = options.seed;
  const maybeDropout = (x: tf.SymbolicTensor) => (dropout > 0 ? (new FastDropout({ rate: dropout }).apply(x) as tf.SymbolicTensor) : x);
  const initializer = () => (seed === undefined ? 'glorotUniform' : tf.initializers.glorotUniform({ seed: seed++ }));
  const input = tf.input({ shape: inputShape, name: 'img_in' });
  let x = input as tf.SymbolicTensor;
  CONVS[kind].forEach((conv, i) => {
    x = tf.layers
      .conv2d({ filters: conv.filters, kernelSize: conv.kernel, strides: conv.stride, activation: 'relu', padding: 'valid', kernelInitializer: initializer(), name: `conv2d_${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
    x = maybeDropout(x);
  });
  x = tf.layers.flatten({ name: 'flattened' }).apply(x) as tf.SymbolicTensor;
  DENSE[kind].forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', kernelInitializer: initializer(), name: `dense_${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = maybeDropout(x);
  });
  const outputs = OUTPUT_NAMES.map(
    (name) => tf.layers.dense({ units: 1, activation: 'linear', kernelInitializer: initializer(), name }).apply(x) as tf.SymbolicTensor,
  );
  const model = tf.model({ inputs: input, outputs, name: `pilot_${kind}` });
  compileModel(model);
  return model;
}

/** MSE on each head (the loss is their sum, as in Keras) and Adam 1e-3. */
export function compileModel(model: tf.LayersModel): void {
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: OUTPUT_NAMES.map(() => 'meanSquaredError') });
}

export function createLinearModel(options?: ModelOptions): tf.LayersModel {
  return createModel('linear', options);
}

export function createFastModel(options?: ModelOptions): tf.LayersModel {
  return createModel('fast', options);
}
