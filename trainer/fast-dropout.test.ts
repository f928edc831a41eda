import { describe, expect, it } from 'vitest';
import { dropoutMask } from './fast-dropout.ts';

describe('dropoutMask', () => {
  it('drops about `rate` of the elements and scales the rest to keep the mean', () => {
    const mask = dropoutMask(100_000, 0.2, 7);
    const kept = mask.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1.25)]));
    expect(kept.length / mask.length).toBeGreaterThan(0.79);
    expect(kept.length / mask.length).toBeLessThan(0.81);
    expect(mask.reduce((a, b) => a + b, 0) / mask.length).toBeCloseTo(1, 1);
  });

  it('repeats for a seed and differs between seeds', () => {
    expect(dropoutMask(64, 0.5, 3)).toEqual(dropoutMask(64, 0.5, 3));
    expect(dropoutMask(64, 0.5, 3)).not.toEqual(dropoutMask(64, 0.5, 4));
  });
});
