import { describe, expect, it } from 'vitest';
import { buildKeyTable, ChromaKeyError, DEFAULT_CHROMA_KEY, lookupAlpha, resolveChromaKey, subjectAlpha } from './keying.ts';

const key = DEFAULT_CHROMA_KEY;

describe('subjectAlpha', () => {
  it('keys the simulator backdrop and noisy, unevenly lit greens out completely', () => {
    for (const [r, g, b] of [
      [0, 177, 64],
      [30, 150, 70],
      [10, 120, 50],
      [40, 220, 110],
      [20, 90, 35],
    ] as const) {
      expect(subjectAlpha(r, g, b, key), `rgb(${r},${g},${b})`).toBe(0);
    }
  });

  it('keeps greys, skin, black, white and non-green colours completely', () => {
    for (const [r, g, b] of [
      [128, 128, 128],
      [0, 0, 0],
      [255, 255, 255],
      [200, 40, 40],
      [230, 180, 150],
      [30, 60, 200],
      [250, 220, 30],
    ] as const) {
      expect(subjectAlpha(r, g, b, key), `rgb(${r},${g},${b})`).toBe(1);
    }
  });

  it('ramps softly across a limit instead of cutting hard', () => {
    const settings = { ...key, hueCenter: 120, hueWidth: 40, softness: 0.1 };
    // rgb(0,255,170) has hue 160°, exactly on the edge of the 80–160° band: half keyed.
    expect(subjectAlpha(0, 255, 170, settings)).toBeCloseTo(0.5, 2);
    const inside = subjectAlpha(0, 255, 150, settings);
    const outside = subjectAlpha(0, 255, 190, settings);
    expect(inside).toBeLessThan(0.5);
    expect(outside).toBeGreaterThan(0.5);
    expect(subjectAlpha(0, 255, 170, { ...settings, softness: 0 })).toBe(0);
    expect(subjectAlpha(0, 255, 175, { ...settings, softness: 0 })).toBe(1);
  });

  it('follows a changed hue centre (a blue screen)', () => {
    const blue = { ...key, hueCenter: 230 };
    expect(subjectAlpha(20, 60, 220, blue)).toBe(0);
    expect(subjectAlpha(0, 177, 64, blue)).toBe(1);
  });
});

describe('key table', () => {
  it('agrees with the exact function to within one quantisation step', () => {
    const table = buildKeyTable(key);
    for (const [r, g, b] of [
      [0, 177, 64],
      [128, 128, 128],
      [200, 40, 40],
      [125, 178, 149],
      [60, 140, 110],
    ] as const) {
      expect(Math.abs(lookupAlpha(table, r, g, b) / 255 - subjectAlpha(r, g, b, key))).toBeLessThan(0.15);
    }
    expect(lookupAlpha(table, 0, 177, 64)).toBe(0);
    expect(lookupAlpha(table, 128, 128, 128)).toBe(255);
  });
});

describe('resolveChromaKey', () => {
  it('merges a partial change onto the current settings', () => {
    const next = resolveChromaKey({ hueWidth: 25 }, { ...key, hueCenter: 100 });
    expect(next).toEqual({ ...key, hueCenter: 100, hueWidth: 25 });
  });

  it('rejects out-of-range, mistyped and unknown fields, naming them', () => {
    expect(() => resolveChromaKey({ minSaturation: 2 })).toThrow(/minSaturation/);
    expect(() => resolveChromaKey({ hueCenter: 'green' })).toThrow(/hueCenter/);
    expect(() => resolveChromaKey({ hue: 120 })).toThrow(ChromaKeyError);
    expect(() => resolveChromaKey(null)).toThrow(/object/);
  });
});
