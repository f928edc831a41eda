import { describe, expect, it } from 'vitest';
import { BrowserWheel, checkBrowserInput } from './browser.ts';
import { ControlMapper } from './mapper.ts';
import { DEFAULT_WHEEL_MAPPING } from './mapping.ts';
import type { WheelControl } from './types.ts';
import { VirtualWheel } from './virtual.ts';

const mapper = () => new ControlMapper({ ...DEFAULT_WHEEL_MAPPING, topSpeed: 80 });

describe('browser input', () => {
  it('maps a valid message: full stick is full lock, throttle on the curve', () => {
    const browser = new BrowserWheel(mapper());
    expect(browser.submit({ steering: -1, throttle: 0.5, brake: 0 })).toMatchObject({ angle: -1, input: 'browser' });
    expect(browser.submit({ steering: 0.25, throttle: 1, brake: 0 })?.throttle).toBeCloseTo(1, 12);
    expect(browser.submit({ steering: 0.25, throttle: 0, brake: 0 })?.angle).toBeCloseTo(0.25, 12);
  });

  it.each([
    [{ steering: Number.NaN, throttle: 0, brake: 0 }, /steering must be a finite number/],
    [{ steering: 0, throttle: 1.5, brake: 0 }, /throttle must be within 0..1/],
    [{ steering: 0, throttle: 0, brake: -0.1 }, /brake/],
    [{ steering: '0', throttle: 0, brake: 0 }, /steering/],
    [{ steering: 0, throttle: 0, brake: 0, extra: 1 }, /unknown field "extra"/],
    [{ steering: 0, throttle: 0, brake: 0, buttons: ['<script>'] }, /bad button name/],
    [null, /must be an object/],
  ])('ignores and counts %j', (raw, error) => {
    const browser = new BrowserWheel(mapper());
    expect(browser.submit(raw)).toBeUndefined();
    expect(browser.lastError).toMatch(error);
    expect(browser.counters.snapshot()).toMatchObject({ ignored: 1, ignoredBy: { invalid: 1 }, controls: 0 });
  });

  it('button presses act on the edge', () => {
    const browser = new BrowserWheel(mapper());
    const press = { steering: 0, throttle: 0, brake: 0, buttons: ['west'] };
    expect(browser.submit(press)?.recording).toBe(true);
    expect(browser.submit(press)?.recording).toBe(true);
    expect(checkBrowserInput({ steering: 0, throttle: 0, brake: 0 }).ok).toBe(true);
  });
});

describe('virtual wheel', () => {
  it('goes through the same mapping as a real wheel', () => {
    const controls: WheelControl[] = [];
    const wheel = new VirtualWheel(mapper(), (c) => controls.push(c));
    expect(wheel.set({ steering16: 32768 + 4096, throttle8: 0 })).toMatchObject({ angle: 1, input: 'virtual' });
    expect(controls.at(-1)?.throttle).toBeCloseTo(1, 12);
    expect(wheel.set({ throttle8: 255 }).throttle).toBe(0);
    expect(wheel.tap('north').mode).toBe('local_angle');
    expect(controls).toHaveLength(4);
  });

  it('rejects out-of-range values without changing state', () => {
    const wheel = new VirtualWheel(mapper(), () => {});
    expect(() => wheel.set({ steering16: 70000 })).toThrow(/steering16 must be an integer 0..65535/);
    expect(() => wheel.set({ throttle8: Number.NaN })).toThrow(/throttle8/);
    expect(wheel.state.steering16).toBe(32768);
    expect(wheel.counters.ignoredBy.invalid).toBe(2);
  });
});
