import { describe, expect, it } from 'vitest';
import { matchRoute, routePath } from './router.ts';

describe('routes', () => {
  it.each([
    ['/', { name: 'cars' }],
    ['/fleet', { name: 'fleet' }],
    ['/training', { name: 'training' }],
    ['/training/tubs/2025-01-01_10-00-00_car1', { name: 'tub', tub: '2025-01-01_10-00-00_car1' }],
    ['/training/tubs/..', { name: 'not-found', path: '/training/tubs/..' }],
    ['/drive/1', { name: 'drive', car: '1' }],
    ['/watch/car_7/', { name: 'watch', car: 'car_7' }],
    ['/calibrate/1', { name: 'calibrate', car: '1' }],
    ['/calibrate/bad%20id', { name: 'not-found', path: '/calibrate/bad%20id' }],
    ['/drive/a/b', { name: 'not-found', path: '/drive/a/b' }],
    ['/drive/bad%20id', { name: 'not-found', path: '/drive/bad%20id' }],
    ['/timekeeper', { name: 'timekeeper' }],
    ['/overlay/', { name: 'overlay' }],
    ['/results/12', { name: 'result', id: 12 }],
    ['/results/competition/3', { name: 'competition', id: 3 }],
    ['/results/0', { name: 'not-found', path: '/results/0' }],
    ['/results/competition/x', { name: 'not-found', path: '/results/competition/x' }],
  ])('%s', (path, route) => {
    expect(matchRoute(path)).toEqual(route);
  });

  it('builds the paths it matches', () => {
    expect(routePath({ name: 'drive', car: '3' })).toBe('/drive/3');
    expect(matchRoute(routePath({ name: 'watch', car: '3' }))).toEqual({ name: 'watch', car: '3' });
    expect(matchRoute(routePath({ name: 'calibrate', car: '3' }))).toEqual({ name: 'calibrate', car: '3' });
    expect(matchRoute(routePath({ name: 'tub', tub: 'session_1' }))).toEqual({ name: 'tub', tub: 'session_1' });
    expect(matchRoute(routePath({ name: 'result', id: 7 }))).toEqual({ name: 'result', id: 7 });
    expect(matchRoute(routePath({ name: 'competition', id: 7 }))).toEqual({ name: 'competition', id: 7 });
  });
});
