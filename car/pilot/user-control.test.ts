import { describe, expect, it } from 'vitest';
import { UserControl, type ControlInput } from './user-control.ts';

function controlAt() {
  let t = 1000;
  const control = new UserControl({ timeoutMs: 500, now: () => t });
  return { control, advance: (ms: number) => void (t += ms) };
}

describe('UserControl', () => {
  it('gives throttle 0 before any control arrives', () => {
    const { control } = controlAt();
    expect(control.steering()).toEqual({ angle: 0, throttle: 0, fresh: false, ageMs: undefined });
    expect(control.mode).toBe('user');
  });

  it('gives the newest control while it is fresh', () => {
    const { control, advance } = controlAt();
    control.update({ angle: 0.1, throttle: 0.2 });
    advance(100);
    control.update({ angle: -0.4, throttle: 0.6 });
    advance(500);
    expect(control.steering()).toEqual({ angle: -0.4, throttle: 0.6, fresh: true, ageMs: 500 });
  });

  it('drops throttle to 0 when the wheel goes quiet, and counts the loss once', () => {
    const { control, advance } = controlAt();
    control.update({ angle: 0.3, throttle: 0.8 });
    advance(501);
    expect(control.steering()).toMatchObject({ throttle: 0, fresh: false, ageMs: 501 });
    advance(1000);
    expect(control.steering().throttle).toBe(0);
    expect(control.lost).toBe(1);
    control.update({ angle: 0, throttle: 0.5 });
    expect(control.steering()).toMatchObject({ throttle: 0.5, fresh: true });
  });

  it('counts a gap as a loss even if nobody looked during it', () => {
    const { control, advance } = controlAt();
    control.update({ angle: 0, throttle: 0.5 });
    advance(2000);
    control.update({ angle: 0, throttle: 0.5 });
    expect(control.lost).toBe(1);
  });

  it('takes mode, recording and estop from the messages that carry them, and keeps them otherwise', () => {
    const { control } = controlAt();
    control.update({ angle: 0, throttle: 0, mode: 'local', recording: true, estop: true });
    control.update({ angle: 0.2, throttle: 0.1 });
    expect([control.mode, control.recording, control.estop]).toEqual(['local', true, true]);
    control.update({ angle: 0, throttle: 0, mode: 'local_angle', estop: false });
    expect([control.mode, control.recording, control.estop]).toEqual(['local_angle', true, false]);
  });

  it('refuses malformed controls without changing anything, and clamps out-of-range ones', () => {
    const { control } = controlAt();
    control.update({ angle: 0.5, throttle: 0.5 });
    expect(control.update({ angle: Number.NaN, throttle: 1 })).toBe(false);
    expect(control.update(null as unknown as ControlInput)).toBe(false);
    expect(control.update({ angle: 0, throttle: 0, mode: 'turbo' } as unknown as ControlInput)).toBe(true);
    expect(control.mode).toBe('user');
    control.update({ angle: 7, throttle: -3 });
    expect(control.steering()).toMatchObject({ angle: 1, throttle: -1 });
    expect(control.rejected).toBe(2);
    expect(control.received).toBe(3);
  });

  it('rejects a nonsensical timeout', () => {
    expect(() => new UserControl({ timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
