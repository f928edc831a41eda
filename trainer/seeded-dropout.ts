/**
 * Repeatable dropout. A dropout layer (ours, FastDropout, or tfjs's own in a loaded model) draws
 * its mask from Math.random unless it has a seed, and a fixed seed repeats the same mask on every
 * batch (a thinner network, not dropout). Giving each dropout layer a fresh seed derived from
 * (run seed, step, layer) before every batch makes a training run repeatable while the masks
 * still change from batch to batch.
 */
import type * as tf from '@tensorflow/tfjs';

/** The field both layers' call() reads the seed from (private in tfjs's typings). */
interface SeedSlot {
  seed?: number;
}

export function dropoutLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.getClassName() === 'Dropout');
}

/** A positive 31-bit seed (tfjs treats 0 as "unseeded") mixed from the three numbers. */
export function dropoutSeed(runSeed: number, step: number, layer: number): number {
  let h = Math.imul(runSeed | 0, 0x9e3779b1) ^ Math.imul(step | 0, 0x85ebca77) ^ Math.imul(layer + 1, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 1) || 1;
}

export function reseedDropout(layers: readonly tf.layers.Layer[], runSeed: number, step: number): void {
  layers.forEach((layer, i) => {
    (layer as unknown as SeedSlot).seed = dropoutSeed(runSeed, step, i);
  });
}

/** Back to unseeded, so a saved model's config carries no training-time seed. */
export function clearDropoutSeeds(layers: readonly tf.layers.Layer[]): void {
  for (const layer of layers) (layer as unknown as SeedSlot).seed = undefined;
}
