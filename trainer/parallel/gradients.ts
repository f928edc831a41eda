/**
 * One batch's gradients by hand, as the compiled model's trainOnBatch would compute them: the loss
 * is the sum of each head's loss (Keras' multi-head loss: the mean squared error, or the
 * categorical cross-entropy of a categorical model), differentiated with respect to the trainable
 * weights. Splitting a batch and averaging the parts' gradients weighted by their
 * sizes gives the whole batch's gradient, which is what data-parallel training relies on.
 */
import * as tf from '@tensorflow/tfjs';

export interface BatchGradients {
  /** one per trainable weight, in model.trainableWeights order */
  grads: tf.Tensor[];
  loss: number;
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  // LayerVariable.read() is the backing tf.Variable the optimizer updates
  return model.trainableWeights.map((weight) => weight.read() as tf.Variable);
}

/** The compiled model's loss for one head, as a scalar over the batch. */
function headLoss(model: tf.LayersModel, head: number, target: tf.Tensor, prediction: tf.Tensor): tf.Tensor {
  const names = model.loss;
  const name = Array.isArray(names) ? names[head] : names;
  if (name === 'meanSquaredError') return tf.losses.meanSquaredError(target, prediction);
  if (name === 'categoricalCrossentropy') return tf.mean(tf.metrics.categoricalCrossentropy(target, prediction));
  throw new Error(`batchGradients: head ${head} has loss ${String(name)}; expected meanSquaredError or categoricalCrossentropy`);
}

export function batchGradients(model: tf.LayersModel, xs: tf.Tensor | readonly tf.Tensor[], ys: readonly tf.Tensor[]): BatchGradients {
  const variables = trainableVariables(model);
  const inputs = Array.isArray(xs) ? (xs.length === 1 ? xs[0]! : [...xs]) : xs;
  const { value, grads } = tf.variableGrads(() => {
    const predictions = model.apply(inputs, { training: true }) as tf.Tensor[];
    const losses = predictions.map((prediction, i) => headLoss(model, i, ys[i]!, prediction));
    return tf.addN(losses) as tf.Scalar;
  }, variables);
  const loss = value.dataSync()[0]!;
  value.dispose();
  return { grads: variables.map((variable) => grads[variable.name]!), loss };
}

/** The weighted mean of two parts' gradients (sizes na and nb). Disposes nothing it was given. */
export function mergeGradients(a: readonly tf.Tensor[], na: number, b: readonly tf.Tensor[], nb: number): tf.Tensor[] {
  const total = na + nb;
  return a.map((grad, i) => tf.tidy(() => tf.add(tf.mul(grad, na / total), tf.mul(b[i]!, nb / total))));
}

/** Applies gradients (model.trainableWeights order) with the model's own optimizer (Adam). */
export function applyGradients(model: tf.LayersModel, grads: readonly tf.Tensor[]): void {
  const named: tf.NamedTensorMap = {};
  trainableVariables(model).forEach((variable, i) => (named[variable.name] = grads[i]!));
  model.optimizer.applyGradients(named);
}
