import { describe, expect, it } from 'vitest';
import { CalibrationSession } from './calibration-session.ts';

const neutral = { stoppedCount: 370, centreCount: 375 };
const session = () => new CalibrationSession(neutral, { throttleCap: 80, holdMs: 1000 });

describe('CalibrationSession', () => {
  it('starts straight ahead at neutral and moves each channel to the asked counts', () => {
    const s = session();
    expect(s.calibrating).toBe(false);
    expect(s.enter(0)).toEqual({ steeringCount: 375, throttleCount: 370 });
    expect(s.set({ steeringCount: 460 }, 10).counts).toEqual({ steeringCount: 460, throttleCount: 370 });
    expect(s.set({ throttleCount: 400 }, 20)).toEqual({ counts: { steeringCount: 460, throttleCount: 400 }, throttleCapped: false });
    expect(s.target(30, false)).toEqual({ steeringCount: 460, throttleCount: 400 });
  });

  it('caps the throttle around neutral in both directions', () => {
    const s = session();
    s.enter(0);
    expect(s.set({ throttleCount: 520 }, 1)).toEqual({ counts: { steeringCount: 375, throttleCount: 450 }, throttleCapped: true });
    expect(s.set({ throttleCount: 100 }, 2).counts.throttleCount).toBe(290);
  });

  it('holds neutral throttle while estop is latched or when the page stops sending, steering stays', () => {
    const s = session();
    s.enter(0);
    s.set({ steeringCount: 300, throttleCount: 420 }, 100);
    expect(s.target(150, true)).toEqual({ steeringCount: 300, throttleCount: 370 });
    expect(s.target(1100, false).throttleCount).toBe(420);
    expect(s.target(1101, false)).toEqual({ steeringCount: 300, throttleCount: 370 });
    s.set({ throttleCount: 410 }, 1200);
    expect(s.target(1201, false).throttleCount).toBe(410);
  });

  it('refuses to move anything outside the calibration state', () => {
    const s = session();
    expect(() => s.set({ steeringCount: 400 }, 0)).toThrow(/enter it first/);
    s.enter(0);
    s.exit();
    expect(() => s.set({ throttleCount: 400 }, 1)).toThrow(/calibration state/);
  });

  it('a saved calibration moves neutral, and a throttle at the old neutral with it', () => {
    const s = session();
    s.enter(0);
    s.recalibrate({ stoppedCount: 380, centreCount: 370 });
    expect(s.target(1, false).throttleCount).toBe(380);
    expect(s.set({ throttleCount: 500 }, 2).counts.throttleCount).toBe(460);
  });
});
