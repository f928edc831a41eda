import { describe, expect, it } from 'vitest';
import { refreshTimestampIfDue, timestampNeedsRefresh, type TimestampSigner } from './timestamp-refresh.ts';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2025, 0, 1);

function signer(expiresAt: number, fail?: string): TimestampSigner & { refreshed: number } {
  const s = {
    refreshed: 0,
    expires: () => new Date(expiresAt + s.refreshed * DAY).toISOString(),
    refresh: () => {
      if (fail) throw new Error(fail);
      s.refreshed++;
    },
  };
  return s;
}

function logs() {
  const lines: string[] = [];
  return { lines, log: { info: (_f: object, m: string) => void lines.push(`info ${m}`), warn: (f: object, m: string) => void lines.push(`warn ${m} ${JSON.stringify(f)}`) } };
}

describe('timestamp refresh', () => {
  it('is due once less than half the lifetime remains, or when the expiry is unreadable', () => {
    expect(timestampNeedsRefresh(new Date(NOW + 0.6 * DAY).toISOString(), NOW, DAY)).toBe(false);
    expect(timestampNeedsRefresh(new Date(NOW + 0.4 * DAY).toISOString(), NOW, DAY)).toBe(true);
    expect(timestampNeedsRefresh(new Date(NOW - DAY).toISOString(), NOW, DAY)).toBe(true);
    expect(timestampNeedsRefresh('garbage', NOW, DAY)).toBe(true);
  });

  it('re-signs a timestamp that is getting old and logs it; leaves a fresh one alone', () => {
    const { lines, log } = logs();
    const old = signer(NOW + 0.3 * DAY);
    expect(refreshTimestampIfDue({ signer: () => old, lifetimeMs: DAY, log, clock: () => NOW })).toBe(true);
    expect(old.refreshed).toBe(1);
    expect(refreshTimestampIfDue({ signer: () => old, lifetimeMs: DAY, log, clock: () => NOW })).toBe(false);
    expect(lines).toEqual(['info timestamp.json re-signed']);
  });

  it('does nothing without keys and logs (never throws) when signing fails', () => {
    const { lines, log } = logs();
    expect(refreshTimestampIfDue({ signer: () => undefined, lifetimeMs: DAY, log, clock: () => NOW })).toBe(false);
    expect(refreshTimestampIfDue({ signer: () => signer(NOW, 'key unreadable'), lifetimeMs: DAY, log, clock: () => NOW })).toBe(false);
    expect(lines).toEqual([expect.stringMatching(/^warn cannot re-sign timestamp.json.*key unreadable/)]);
  });
});
