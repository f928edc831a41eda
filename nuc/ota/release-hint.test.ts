import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReleaseHints, type ReleaseHintFields } from './release-hint.ts';

afterEach(() => vi.useRealTimers());

function hints(options: { timestamp?: number; minIntervalMs?: number; rebootPermitMs?: number } = {}) {
  const sent: ReleaseHintFields[] = [];
  const hint = new ReleaseHints({ send: (fields) => sent.push(fields), timestamp: () => options.timestamp ?? 7, minIntervalMs: options.minIntervalMs ?? 1000, rebootPermitMs: options.rebootPermitMs ?? 60_000, now: () => Date.now() });
  return { hint, sent };
}

describe('ReleaseHints', () => {
  it('hints at once on a publish, with the newest timestamp it knows', () => {
    const { hint, sent } = hints({ timestamp: 3 });
    hint.published(5);
    expect(sent).toEqual([{ timestamp: 5 }]);
  });

  it("names the cars an operator let reboot, in every hint until the car's agent moves on", () => {
    vi.useFakeTimers();
    const { hint, sent } = hints();
    expect(hint.allowOsReboot('7')).toEqual(['7']);
    expect(sent).toEqual([{ timestamp: 7, osReboot: ['7'] }]);
    // within the proxy's interval: one more hint, later, naming both
    expect(hint.allowOsReboot('10')).toEqual(['7', '10']);
    hint.published(8);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual([{ timestamp: 7, osReboot: ['7'] }, { timestamp: 8, osReboot: ['7', '10'] }]);
    hint.osUpdateSeen('7', 'pending-reboot');
    hint.osUpdateSeen('10', 'rebooting');
    expect(hint.osReboot()).toEqual(['7']);
    hint.osUpdateSeen('7', undefined);
    expect(hint.osReboot()).toEqual([]);
    hint.close();
  });

  it("lets an operator's permission lapse, and names at most 64 cars", () => {
    vi.useFakeTimers();
    const { hint } = hints({ rebootPermitMs: 5_000 });
    hint.allowOsReboot('1');
    vi.advanceTimersByTime(6_000);
    expect(hint.osReboot()).toEqual([]);
    for (let i = 0; i < 70; i++) hint.allowOsReboot(`c${i}`);
    const named = hint.osReboot();
    expect(named).toHaveLength(64);
    expect(named).not.toContain('c0');
    expect(named).toContain('c69');
    hint.close();
  });
});
