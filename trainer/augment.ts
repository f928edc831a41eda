/**
 * Pure pixel-level augmentations on HWC float frames in [0, 1], driven by a seeded RNG so a
 * training run can be repeated exactly.
 */

import { seededRandom } from '../runtime/index.ts';

/** The platform's seeded generator (mulberry32): the same seed gives the same augmentations. */
export { seededRandom };

export interface Augmentations {
  /** max relative brightness change: each frame is scaled by 1 ± up to this (0 disables) */
  brightness: number;
  /** probability of darkening one side of a random line across the frame */
  shadow: number;
  /** probability of mirroring the frame left-right (the angle is negated with it) */
  flip: number;
}

export const DEFAULT_AUGMENTATIONS: Augmentations = { brightness: 0.2, shadow: 0.3, flip: 0.5 };

export interface FrameShape {
  height: number;
  width: number;
  channels: number;
}

export function adjustBrightness(pixels: Float32Array, factor: number): void {
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, pixels[i]! * factor);
}

/** Darkens, by `darkness`, the pixels left of the line from (x0, top) to (x1, bottom). */
export function castShadow(pixels: Float32Array, shape: FrameShape, x0: number, x1: number, darkness: number): void {
  const { height, width, channels } = shape;
  const keep = 1 - darkness;
  for (let y = 0; y < height; y++) {
    const edge = x0 + ((x1 - x0) * y) / Math.max(1, height - 1);
    const end = Math.min(width, Math.max(0, Math.ceil(edge)));
    for (let i = y * width * channels; i < (y * width + end) * channels; i++) pixels[i] = pixels[i]! * keep;
  }
}

export function flipHorizontal(pixels: Float32Array, shape: FrameShape): void {
  const { height, width, channels } = shape;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width >> 1; x++) {
      const left = row + x * channels;
      const right = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) {
        const t = pixels[left + c]!;
        pixels[left + c] = pixels[right + c]!;
        pixels[right + c] = t;
      }
    }
  }
}

/** Applies the augmentations in place; returns the angle to learn (negated when the frame was mirrored) and whether it was. */
export function augmentFrame(pixels: Float32Array, shape: FrameShape, angle: number, options: Augmentations, random: () => number): { angle: number; flipped: boolean } {
  if (options.brightness > 0) adjustBrightness(pixels, 1 + (random() * 2 - 1) * options.brightness);
  if (random() < options.shadow) {
    castShadow(pixels, shape, random() * shape.width, random() * shape.width, 0.3 + random() * 0.4);
  }
  if (random() < options.flip) {
    flipHorizontal(pixels, shape);
    return { angle: -angle, flipped: true };
  }
  return { angle, flipped: false };
}
