/**
 * The gradient helper: a process of its own (wasm runs one thread per process in Node), holding a
 * replica of the model. For each step it takes the current weights and its share of the batch and
 * answers that share's gradients and loss; the training loop merges them and applies the update.
 */
import * as tf from '@tensorflow/tfjs';
import { selectTrainingBackend } from '../backend.ts';
import { createModel } from '../models.ts';
import { dropoutLayers, reseedDropout } from '../seeded-dropout.ts';
import { batchGradients } from './gradients.ts';
import type { HelperReply, HelperRequest } from './protocol.ts';

let model: tf.LayersModel | undefined;
let dropoutSeed = 0;

function reply(message: HelperReply): void {
  process.send?.(message);
}

async function handle(message: HelperRequest): Promise<void> {
  if (message.type === 'setup') {
    const backend = await selectTrainingBackend(message.backend, () => undefined);
    model = createModel(message.kind, {
      inputShape: message.inputShape,
      ...(message.dropout === undefined ? {} : { dropout: message.dropout }),
      ...(message.memoryLength === undefined ? {} : { memoryLength: message.memoryLength }),
    });
    dropoutSeed = message.dropoutSeed;
    return reply({ type: 'ready', backend: backend.name });
  }
  if (!model) return reply({ type: 'error', message: 'step before setup' });
  const current = model;
  current.trainableWeights.forEach((weight, i) => weight.write(tf.tensor(message.weights[i]!, weight.read().shape)));
  reseedDropout(dropoutLayers(current), dropoutSeed, message.step);
  const xs = message.xs.map((data, i) => tf.tensor(data, message.xsShapes[i]!));
  const ys = message.ys.map((data, i) => tf.tensor(data, message.ysShapes[i]!));
  try {
    const { grads, loss } = batchGradients(current, xs, ys);
    const arrays = grads.map((grad) => grad.dataSync() as Float32Array);
    tf.dispose(grads);
    reply({ type: 'gradients', step: message.step, grads: arrays, loss });
  } finally {
    tf.dispose([...xs, ...ys]);
  }
}

let queue = Promise.resolve();
const enqueue = (message: HelperRequest): void => {
  queue = queue.then(() => handle(message)).catch((error: unknown) => reply({ type: 'error', message: (error as Error).message }));
};
process.on('message', (message: HelperRequest) => {
  if (message.type !== 'step') return enqueue(message);
  // the receipt must leave before the computation holds this process's event loop
  process.send?.({ type: 'received', step: message.step } satisfies HelperReply, () => enqueue(message));
});
process.on('disconnect', () => process.exit(0));
