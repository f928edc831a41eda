import { describe, expect, it } from 'vitest';
import { formatLap, formatPercent } from './format.ts';

describe('format', () => {
  it('lap times as m:ss.mmm', () => {
    expect(formatLap(83.4567)).toBe('1:23.457');
    expect(formatLap(9.5)).toBe('0:09.500');
    expect(formatLap(undefined)).toBe('–:––.–––');
    expect(formatLap(Number.NaN)).toBe('–:––.–––');
  });

  it('signed percentages', () => {
    expect(formatPercent(-0.254)).toBe('-25%');
    expect(formatPercent(undefined)).toBe('–');
  });
});
