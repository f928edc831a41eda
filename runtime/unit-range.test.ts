import { describe, expect, it } from 'vitest';
import { clampUnit } from './unit-range.ts';

describe('clampUnit', () => {
  it('keeps values inside [-1, 1] unchanged', () => {
    expect(clampUnit(-0.25)).toBe(-0.25);
    expect(clampUnit(1)).toBe(1);
  });

  it('clamps the rest to the nearer end, infinities included', () => {
    expect(clampUnit(3)).toBe(1);
    expect(clampUnit(-2)).toBe(-1);
    expect(clampUnit(Number.POSITIVE_INFINITY)).toBe(1);
    expect(clampUnit(Number.NEGATIVE_INFINITY)).toBe(-1);
  });

  it('turns NaN and non-numbers into a neutral 0', () => {
    expect(clampUnit(Number.NaN)).toBe(0);
    expect(clampUnit('1' as unknown as number)).toBe(0);
    expect(clampUnit(undefined as unknown as number)).toBe(0);
  });
});
