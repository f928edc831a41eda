import { describe, expect, it } from 'vitest';
import { ApplyGaps } from './apply-gaps.ts';

describe('ApplyGaps', () => {
  it('reports the longest gap between applies over the window, and forgets older ones', () => {
    const gaps = new ApplyGaps(10);
    expect(gaps.maxGapMs(0)).toBe(0);
    for (let t = 0; t <= 2000; t += 20) gaps.applied(t);
    gaps.applied(2135); // one 135 ms beat missed
    for (let t = 2155; t <= 5000; t += 20) gaps.applied(t);
    expect(gaps.maxGapMs(5000)).toBe(135);
    for (let t = 5015; t <= 14000; t += 20) gaps.applied(t);
    expect(gaps.maxGapMs(14000)).toBe(20);
  });

  it('shows a loop that stopped as the time since its last apply', () => {
    const gaps = new ApplyGaps(10);
    gaps.applied(0);
    gaps.applied(20);
    expect(gaps.maxGapMs(3020)).toBe(3000);
  });
});
