import { describe, expect, it } from 'vitest';
import { parseRaceTime } from './race-api.ts';

describe("the timekeeper's race time", () => {
  it('reads 1:23.456 and 83.456 as seconds, and nothing else', () => {
    expect(parseRaceTime('1:23.456')).toBeCloseTo(83.456, 9);
    expect(parseRaceTime(' 83.456 ')).toBeCloseTo(83.456, 9);
    expect(parseRaceTime('12')).toBe(12);
    expect(parseRaceTime('')).toBeUndefined();
    expect(parseRaceTime('-3')).toBeUndefined();
    expect(parseRaceTime('1:2:3')).toBeUndefined();
  });
});
