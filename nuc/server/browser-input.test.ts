import { describe, expect, it } from 'vitest';
import { mapBrowserInput } from './browser-input.ts';

describe('mapBrowserInput', () => {
  it('passes valid input through as browser control', () => {
    expect(mapBrowserInput({ angle: -0.5, throttle: 0.25 })).toEqual({ ok: true, control: { angle: -0.5, throttle: 0.25, input: 'browser' } });
  });

  it('scales throttle to the configured maximum, never steering', () => {
    const result = mapBrowserInput({ angle: 1, throttle: -1 }, { maxThrottle: 0.5 });
    expect(result).toEqual({ ok: true, control: { angle: 1, throttle: -0.5, input: 'browser' } });
  });

  it.each([
    [null, 'not-an-object'],
    [[0.1, 0.2], 'not-an-object'],
    [{ angle: Number.NaN, throttle: 0 }, 'angle'],
    [{ angle: 1.01, throttle: 0 }, 'angle'],
    [{ angle: '0.5', throttle: 0 }, 'angle'],
    [{ angle: 0, throttle: Infinity }, 'throttle'],
    [{ angle: 0 }, 'throttle'],
  ])('rejects %j (%s) instead of clamping it', (raw, reason) => {
    const result = mapBrowserInput(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe(reason);
  });
});
