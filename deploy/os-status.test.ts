import { describe, expect, it } from 'vitest';
import { byteSize, osStatusLine } from './os-status.ts';

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
    // what the car downloaded for it, when its agent says (a chunked bundle: only the chunks its running slot lacked)
    expect(osStatusLine({ os: '0.1.0-a', osUpdate: { version: '0.2.0-b', outcome: 'pending-reboot', at, downloadedBytes: 52_428_800 } })).toBe(
      'OS 0.1.0-a; last OS update 0.2.0-b: pending-reboot at 2026-12-07T18:30:00.000Z, downloaded 50.0 MB',
    );
    expect(osStatusLine({ os: null, osSlots: null, osUpdate: null })).toBeUndefined();
    expect(osStatusLine({})).toBeUndefined();
  });

  it('prints a byte count 1024-based with one decimal, up to TB', () => {
    expect(byteSize(0)).toBe('0 B');
    expect(byteSize(1023)).toBe('1023 B');
    expect(byteSize(1024)).toBe('1.0 kB');
    expect(byteSize(1_258_291)).toBe('1.2 MB');
    expect(byteSize(1024 * 1024 - 1)).toBe('1.0 MB');
    expect(byteSize(3 * 1024 ** 3)).toBe('3.0 GB');
    expect(byteSize(2 ** 40)).toBe('1.0 TB');
  });
});
