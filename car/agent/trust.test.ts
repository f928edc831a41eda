import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../runtime/index.ts';
import { trustedRootOf } from './trust.ts';

const car = (fields: object) => validateConfig({ car: fields }, 'test').car;

describe('trustedRootOf', () => {
  it('trusts the demo repository on first sight only on a simulated car', () => {
    expect(trustedRootOf(car({}), '/data')).toBe('/data/ota/repository/metadata/1.root.json');
    expect(trustedRootOf(car({ i2c: { bus: 1 } }), '/data')).toBeUndefined();
  });

  it('always trusts a provisioned root', () => {
    expect(trustedRootOf(car({ i2c: { bus: 1 }, agent: { trustedRoot: '/etc/edge/root.json' } }), '/data')).toBe('/etc/edge/root.json');
    expect(trustedRootOf(car({ agent: { trustedRoot: '/etc/edge/root.json' } }), '/data')).toBe('/etc/edge/root.json');
  });
});
