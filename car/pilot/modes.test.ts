import { describe, expect, it } from 'vitest';
import { decideDrive, isDriveMode, nextMode, type DriveMode } from './modes.ts';

const user = { angle: -0.3, throttle: 0.4 };
const pilot = { angle: 0.7, throttle: 0.2 };

describe('nextMode', () => {
  it('cycles user → local_angle → local → user', () => {
    expect(nextMode('user')).toBe('local_angle');
    expect(nextMode('local_angle')).toBe('local');
    expect(nextMode('local')).toBe('user');
  });
});

describe('isDriveMode', () => {
  it('accepts the three modes only', () => {
    expect(['user', 'local_angle', 'local'].every(isDriveMode)).toBe(true);
    expect(isDriveMode('auto')).toBe(false);
    expect(isDriveMode(undefined)).toBe(false);
  });
});

describe('decideDrive', () => {
  it('user mode: the wheel drives, the pilot is ignored', () => {
    expect(decideDrive('user', user, pilot)).toEqual({ angle: -0.3, throttle: 0.4, source: 'user' });
    expect(decideDrive('user', user)).toEqual({ angle: -0.3, throttle: 0.4, source: 'user' });
  });

  it('local_angle: the pilot steers, the user sets throttle', () => {
    expect(decideDrive('local_angle', user, pilot)).toEqual({ angle: 0.7, throttle: 0.4, source: 'pilot' });
  });

  it('local: the pilot drives both', () => {
    expect(decideDrive('local', user, pilot)).toEqual({ angle: 0.7, throttle: 0.2, source: 'pilot' });
  });

  it('stops in a pilot mode while the pilot has no output, rather than falling back to the user', () => {
    for (const mode of ['local_angle', 'local'] as DriveMode[]) {
      expect(decideDrive(mode, user, undefined)).toEqual({ angle: 0, throttle: 0, source: 'pilot' });
    }
  });

  it('clamps to [-1, 1] and turns NaN into neutral', () => {
    expect(decideDrive('user', { angle: 3, throttle: -9 })).toMatchObject({ angle: 1, throttle: -1 });
    expect(decideDrive('local', user, { angle: Number.NaN, throttle: Number.POSITIVE_INFINITY })).toMatchObject({ angle: 0, throttle: 1 });
    expect(decideDrive('local_angle', { angle: 0, throttle: Number.NaN }, pilot)).toMatchObject({ angle: 0.7, throttle: 0 });
  });

  it('estop forces throttle 0 in every mode', () => {
    for (const mode of ['user', 'local_angle', 'local'] as DriveMode[]) {
      expect(decideDrive(mode, user, pilot, { estop: true }).throttle).toBe(0);
    }
  });

  it('a pilot told to stop on link loss keeps steering at throttle 0; the user mode is left to the user timeout', () => {
    expect(decideDrive('local', user, pilot, { stopForLinkLoss: true })).toEqual({ angle: 0.7, throttle: 0, source: 'pilot' });
    expect(decideDrive('local_angle', user, pilot, { stopForLinkLoss: true })).toEqual({ angle: 0.7, throttle: 0, source: 'pilot' });
    expect(decideDrive('user', user, pilot, { stopForLinkLoss: true })).toEqual({ angle: -0.3, throttle: 0.4, source: 'user' });
  });

  it('stops on a mode it does not know', () => {
    expect(decideDrive('warp' as DriveMode, user, pilot)).toMatchObject({ angle: 0, throttle: 0 });
  });
});

describe('a race holding the car', () => {
  it('stops the pilot in local mode but leaves a human throttle alone (a jumped start is the driver\'s)', () => {
    expect(decideDrive('local', { angle: 0, throttle: 0 }, { angle: 0.2, throttle: 0.8 }, { hold: true })).toEqual({ angle: 0.2, throttle: 0, source: 'pilot' });
    expect(decideDrive('user', { angle: 0, throttle: 0.5 }, undefined, { hold: true }).throttle).toBe(0.5);
    expect(decideDrive('local_angle', { angle: 0, throttle: 0.5 }, { angle: 0.1, throttle: 0.9 }, { hold: true }).throttle).toBe(0.5);
  });
});
