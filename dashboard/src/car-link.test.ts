import { describe, expect, it } from 'vitest';
import { LINK_LOST_AFTER_MS, carLinkLoss, formatLinkLoss } from './car-link.ts';

describe('the car link as the driver sees it', () => {
  it('is fine while the car is heard, and before it ever was', () => {
    expect(carLinkLoss(undefined, 10_000)).toBeUndefined();
    expect(carLinkLoss(10_000, 10_000 + LINK_LOST_AFTER_MS)).toBeUndefined();
  });

  it('is lost after a second of silence, and says for how long', () => {
    const loss = carLinkLoss(10_000, 10_000 + 4_600);
    expect(loss).toEqual({ lostForMs: 4600 });
    expect(formatLinkLoss(loss!)).toBe('4 s');
    expect(formatLinkLoss(carLinkLoss(0, 1001)!)).toBe('1 s');
  });
});
