import { describe, expect, it } from 'vitest';
import { formatClock, raceClockMs } from './race-clock.ts';

describe('race clock', () => {
  it('runs on from the NUC\'s race time while racing, and stands under a red flag or before the start', () => {
    const race = { raceMs: 10_000, phase: 'racing' as const, redFlag: false, remainingMs: null };
    expect(raceClockMs(race, 1_000, 1_250)).toBe(10_250);
    expect(raceClockMs({ ...race, redFlag: true }, 1_000, 1_250)).toBe(10_000);
    expect(raceClockMs({ ...race, phase: 'finished' }, 1_000, 5_000)).toBe(10_000);
    expect(raceClockMs({ ...race, raceMs: null }, 1_000, 5_000)).toBeNull();
    expect(raceClockMs(null, 0, 0)).toBeNull();
  });

  it('shows minutes, seconds and tenths', () => {
    expect(formatClock(83_456)).toBe('1:23.4');
    expect(formatClock(5_000)).toBe('0:05.0');
    expect(formatClock(null)).toBe('0:00.0');
  });
});
