import { describe, expect, it } from 'vitest';
import { augmentFrame, castShadow, flipHorizontal, seededRandom } from './augment.ts';

const shape = { height: 2, width: 3, channels: 3 };
const frame = () => Float32Array.from({ length: 18 }, (_, i) => i / 20);

describe('augmentations', () => {
  it('mirrors pixels left-right, keeping each pixel\'s channels together', () => {
    const pixels = frame();
    flipHorizontal(pixels, shape);
    expect(Array.from(pixels.slice(0, 9))).toEqual(Array.from(frame().slice(6, 9)).concat(Array.from(frame().slice(3, 6)), Array.from(frame().slice(0, 3))));
  });

  it('negates the angle exactly when it flips the frame', () => {
    const options = { brightness: 0, shadow: 0, flip: 1 };
    const pixels = frame();
    expect(augmentFrame(pixels, shape, 0.4, options, seededRandom(1))).toEqual({ angle: -0.4, flipped: true });
    expect(pixels[0]).toBeCloseTo(frame()[6]!);
    expect(augmentFrame(frame(), shape, 0.4, { ...options, flip: 0 }, seededRandom(1))).toEqual({ angle: 0.4, flipped: false });
  });

  it('darkens only the shadowed side and keeps values in [0, 1] after brightening', () => {
    const pixels = frame();
    castShadow(pixels, shape, 1, 1, 0.5);
    // The line at x = 1 shadows the first pixel of each row only.
    expect(pixels[2]).toBeCloseTo(frame()[2]! * 0.5);
    expect(pixels[11]).toBeCloseTo(frame()[11]! * 0.5);
    expect(pixels[3]).toBeCloseTo(frame()[3]!);
    const bright = new Float32Array(18).fill(0.9);
    augmentFrame(bright, shape, 0, { brightness: 0.5, shadow: 0, flip: 0 }, () => 0.99);
    expect(Math.max(...bright)).toBeLessThanOrEqual(1);
  });

  it('repeats exactly with the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});
