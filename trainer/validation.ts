/**
 * The loss on held-out samples, as trained: each head's loss (the mean squared error, or a
 * categorical model's cross-entropy) and their sum, the model's loss. Early stopping watches it
 * after every epoch; the NUC's evaluation records it beside the closed-loop results.
 */
import type * as tf from '@tensorflow/tfjs';
import { batches, disposeBatch, type BatchOptions, type Sample } from './dataset.ts';

export interface ValidationLoss {
  /** the sum of the heads' losses, as trained */
  loss: number;
  angleLoss: number;
  throttleLoss: number;
  samples: number;
}

export class NoValidationSamplesError extends Error {
  override name = 'NoValidationSamplesError';
}

/** Mean losses over one pass of the samples, weighted by batch size. */
export async function validationLoss(model: tf.LayersModel, samples: readonly Sample[], options: Omit<BatchOptions, 'batchSize'> & { batchSize?: number }): Promise<ValidationLoss> {
  if (samples.length === 0) throw new NoValidationSamplesError('validation loss needs at least one sample');
  const sums = [0, 0];
  let count = 0;
  for await (const batch of batches(samples, { ...options, batchSize: options.batchSize ?? 64, augment: undefined, shuffleSeed: undefined })) {
    try {
      const losses = model.evaluate(batch.xs.length === 1 ? batch.xs[0]! : batch.xs, batch.ys, { batchSize: batch.size });
      const list = Array.isArray(losses) ? losses : [losses];
      const values = await Promise.all(list.map(async (l) => (await l.data())[0]!));
      list.forEach((l) => l.dispose());
      // tfjs 4 returns more scalars than metricsNames lists ([head0, total, head0, head1] for two
      // heads), so read the per-head losses from the end and add them up ourselves.
      const [angle, throttle] = values.slice(-2);
      if (values.length < 2 || angle === undefined || throttle === undefined) throw new Error(`model has ${values.length} loss outputs, expected one per head (angle, throttle)`);
      sums[0]! += angle * batch.size;
      sums[1]! += throttle * batch.size;
      count += batch.size;
    } finally {
      disposeBatch(batch);
    }
  }
  if (count === 0) throw new NoValidationSamplesError(`none of the ${samples.length} validation samples could be read`);
  const [angleLoss, throttleLoss] = [sums[0]! / count, sums[1]! / count];
  return { loss: angleLoss + throttleLoss, angleLoss, throttleLoss, samples: count };
}
