import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../runtime/index.ts';
import { linkLossPolicy, startMode } from './drive-settings.ts';

const car = (document: Record<string, unknown>) => validateConfig({ car: document }, 'test').car;

describe('drive settings by hardware', () => {
  it('the simulated demo starts with the pilot driving and keeps driving through a link loss', () => {
    const simulated = car({});
    expect(startMode(simulated)).toBe('local');
    expect(linkLossPolicy(simulated)).toBe('continue');
  });

  it('a car with a real I2C bus starts in user mode and stops its pilot when the link goes', () => {
    const real = car({ i2c: { bus: 1 } });
    expect(startMode(real)).toBe('user');
    expect(linkLossPolicy(real)).toBe('stop');
  });

  it('what the configuration says wins on either', () => {
    expect(startMode(car({ i2c: { bus: 1 }, drive: { mode: 'local_angle' } }))).toBe('local_angle');
    expect(linkLossPolicy(car({ drive: { onLinkLoss: 'stop' } }))).toBe('stop');
    expect(startMode(car({ drive: { mode: 'user' } }))).toBe('user');
  });
});
