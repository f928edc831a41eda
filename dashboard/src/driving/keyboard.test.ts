import { describe, expect, it } from 'vitest';
import { driveKeyOf, KeyboardRamp } from './keyboard.ts';

const settings = { steerPerS: 2, centrePerS: 4, throttlePerS: 1, maxThrottle: 0.5 };

describe('KeyboardRamp', () => {
  it('holding right steers further the longer it is held, up to full lock', () => {
    const ramp = new KeyboardRamp(settings);
    ramp.press('right');
    expect(ramp.step(100).angle).toBeCloseTo(0.2);
    expect(ramp.step(100).angle).toBeCloseTo(0.4);
    for (let i = 0; i < 10; i++) ramp.step(100);
    expect(ramp.current.angle).toBe(1);
  });

  it('returns to centre after release, then stops being active', () => {
    const ramp = new KeyboardRamp(settings);
    ramp.press('left');
    ramp.step(200);
    ramp.release('left');
    expect(ramp.active).toBe(true);
    expect(ramp.step(50).angle).toBeCloseTo(-0.2);
    expect(ramp.step(50).angle).toBe(0);
    expect(ramp.active).toBe(false);
  });

  it('throttle ramps to the keyboard maximum; left and right together cancel', () => {
    const ramp = new KeyboardRamp(settings);
    ramp.press('up');
    ramp.press('left');
    ramp.press('right');
    ramp.step(2000);
    expect(ramp.current).toEqual({ angle: 0, throttle: 0.25 });
    ramp.step(250);
    expect(ramp.current.throttle).toBe(0.5);
  });

  it('a long pause between frames (a background tab) does not jump to full lock', () => {
    const ramp = new KeyboardRamp(settings);
    ramp.press('right');
    expect(ramp.step(10_000).angle).toBeCloseTo(0.5);
  });

  it('maps arrows and WASD, nothing else', () => {
    expect(['ArrowLeft', 'KeyA', 'ArrowRight', 'KeyD', 'ArrowUp', 'KeyW', 'ArrowDown', 'KeyS'].map(driveKeyOf)).toEqual([
      'left', 'left', 'right', 'right', 'up', 'up', 'down', 'down',
    ]);
    expect(driveKeyOf('KeyQ')).toBeUndefined();
  });
});
