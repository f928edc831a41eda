import { describe, expect, it } from 'vitest';
import { gamepadInput } from './gamepad.ts';

const pad = (x: number, rt = 0, lt = 0) => ({ axes: [x, 0], buttons: Array.from({ length: 8 }, (_, i) => ({ value: i === 7 ? rt : i === 6 ? lt : 0 })) });

describe('gamepadInput', () => {
  it('is undefined at rest, including stick drift inside the dead zone', () => {
    expect(gamepadInput(pad(0.05))).toBeUndefined();
  });

  it('steers with the stick and drives with the triggers', () => {
    expect(gamepadInput(pad(1, 1))).toEqual({ angle: 1, throttle: 1 });
    const reverse = gamepadInput(pad(-0.54, 0, 0.54))!;
    expect(reverse.angle).toBeCloseTo(-0.5);
    expect(reverse.throttle).toBeCloseTo(-0.5);
  });

  it('ignores NaN axes', () => {
    expect(gamepadInput({ axes: [Number.NaN], buttons: [] })).toBeUndefined();
  });
});
