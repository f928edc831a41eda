import { describe, expect, it } from 'vitest';
import { BusCounters } from '../../protocol/index.ts';
import { validateConfig } from '../../runtime/index.ts';
import { busMessage, telemetry } from '../../test/support/server-feed.ts';
import { carSources, forKnownCars, knownCars } from './known-cars.ts';

describe('known cars', () => {
  it('are the cars npm start runs and the ones nuc.cars names', () => {
    const known = knownCars(carSources(validateConfig({ launcher: { cars: ['1', '2'] }, nuc: { cars: ['track-7'] } }, 'test')));
    expect(known.ids()).toEqual(['1', '2', 'track-7']);
    expect([known.has('2'), known.has('track-7'), known.has('3')]).toEqual([true, true, false]);
  });

  it('read a source again after a second, so a car paired while the NUC runs is known soon after', () => {
    let now = 0;
    const paired = ['1'];
    const known = knownCars([() => paired], () => now);
    expect(known.has('9')).toBe(false);
    paired.push('9');
    expect(known.has('9')).toBe(false);
    now = 1000;
    expect(known.has('9')).toBe(true);
  });

  it('keep what a source gave before when it cannot be read now', () => {
    let now = 0;
    let broken = false;
    const known = knownCars([() => {
      if (broken) throw new Error('being rewritten');
      return ['4'];
    }], () => now);
    expect(known.has('4')).toBe(true);
    broken = true;
    now = 5000;
    expect(known.has('4')).toBe(true);
  });

  it('drop and count messages about other cars, and pass the NUC\'s own', () => {
    const counters = new BusCounters();
    const seen: string[] = [];
    const handle = forKnownCars(knownCars([() => ['1']]), counters, (message) => seen.push(message.topicText));
    handle(busMessage<'telemetry'>('car/1/telemetry', telemetry()));
    handle(busMessage<'telemetry'>('car/30/telemetry', telemetry()));
    handle(busMessage<'recording'>('nuc/recorder/recording', { car: '31', state: 'failed', records: 0, error: 'disk full' }));
    handle(busMessage<'release'>('nuc/ota/release', { timestamp: 3 }));
    expect(seen).toEqual(['car/1/telemetry', 'nuc/ota/release']);
    expect(counters.droppedBy).toEqual({ unknown_car: 2 });
  });
});
