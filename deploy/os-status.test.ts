import { describe, expect, it } from 'vitest';
import { osStatusLine } from './os-status.ts';

describe('a car OS in deploy status', () => {
  it("prints the version, the booted slot, both slots' states and the last OS update", () => {
    const at = Date.UTC(2026, 11, 7, 18, 30);
    expect(
      osStatusLine({
        os: '0.2.0-b',
        osSlots: { booted: 'B', A: { state: 'good', version: '0.1.0-a' }, B: { state: 'good', version: '0.2.0-b' } },
        osUpdate: { version: '0.2.0-b', outcome: 'good', at },
      }),
    ).toBe('OS 0.2.0-b; slots A good 0.1.0-a, B (booted) good 0.2.0-b; last OS update 0.2.0-b: good at 2026-12-07T18:30:00.000Z');
    expect(
      osStatusLine({
        os: '0.1.0-a',
        osSlots: { booted: 'A', A: { state: 'good', version: '0.1.0-a' }, B: { state: 'bad' } },
        osUpdate: { version: '0.2.0-b', outcome: 'rolled-back', reason: 'booted A, not B: B is bad', at },
      }),
    ).toMatch(/slots A \(booted\) good 0\.1\.0-a, B bad; last OS update 0\.2\.0-b: rolled-back \(booted A, not B: B is bad\) at/);
    expect(osStatusLine({ os: null, osSlots: null, osUpdate: null })).toBeUndefined();
    expect(osStatusLine({})).toBeUndefined();
  });
});
