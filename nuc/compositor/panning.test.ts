import { describe, expect, it } from 'vitest';
import { BackgroundPan, centredPan, stepPan } from './panning.ts';

describe('background pan', () => {
  it('starts centred and moves by angle × scale each frame', () => {
    const pan = new BackgroundPan(1920, 640, 10);
    expect(pan.offset).toBe(640);
    expect(pan.step(1)).toBe(650);
    expect(pan.step(-0.5)).toBe(645);
    expect(pan.step(0)).toBe(645);
  });

  it('re-centres instead of running off the right edge', () => {
    const pan = new BackgroundPan(1920, 640, 100);
    const offsets = Array.from({ length: 8 }, () => pan.step(1));
    // 740 … 1280 is the last window inside the background; the next step would leave it.
    expect(offsets).toEqual([740, 840, 940, 1040, 1140, 1240, 640, 740]);
    expect(Math.max(...offsets) + 640).toBeLessThanOrEqual(1920);
  });

  it('re-centres instead of running off the left edge', () => {
    const pan = new BackgroundPan(1920, 640, 100);
    const offsets = Array.from({ length: 8 }, () => pan.step(-1));
    expect(offsets).toEqual([540, 440, 340, 240, 140, 40, 640, 540]);
  });

  it('reaches the exact edges when the steps land on them', () => {
    expect(stepPan(100, -1, 100, 1920, 640)).toBe(0);
    expect(stepPan(1180, 1, 100, 1920, 640)).toBe(1280);
  });

  it('treats a missing or out-of-range angle as straight or full lock', () => {
    const pan = new BackgroundPan(1920, 640, 10);
    expect(pan.step(Number.NaN)).toBe(640);
    expect(pan.step(Number.POSITIVE_INFINITY)).toBe(640);
    expect(pan.step(5)).toBe(650);
  });

  it('stays put on a background exactly as wide as the view', () => {
    const pan = new BackgroundPan(640, 640, 10);
    expect(pan.step(1)).toBe(0);
    expect(pan.step(-1)).toBe(0);
    expect(centredPan(640, 640)).toBe(0);
    expect(() => new BackgroundPan(600, 640, 10)).toThrow(/narrower/);
  });
});
