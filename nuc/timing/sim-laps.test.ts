import { describe, expect, it } from 'vitest';
import { SimLapCrossings } from './sim-laps.ts';

describe('SimLapCrossings', () => {
  it('makes a crossing when the lap count goes up by one, timed by the car inside the interval the NUC saw', () => {
    const laps = new SimLapCrossings();
    expect(laps.observe('1', { lap: 0, lapTimeS: 9.9 }, 10_000)).toEqual({ kind: 'none' });
    expect(laps.observe('1', { lap: 0, lapTimeS: 9.95 }, 10_050)).toEqual({ kind: 'none' });
    // crossed 20 ms before the NUC received this report
    expect(laps.observe('1', { lap: 1, lapTimeS: 0.02 }, 10_100)).toEqual({ kind: 'crossing', atMs: 10_080 });
  });

  it('keeps a claimed time inside the interval in which the count changed', () => {
    const laps = new SimLapCrossings();
    laps.observe('1', { lap: 3, lapTimeS: 1 }, 20_000);
    // a car (or a forger) claiming the lap ended 5 s ago gets the previous report's time
    expect(laps.observe('1', { lap: 4, lapTimeS: 5 }, 20_100)).toEqual({ kind: 'crossing', atMs: 20_000 });
    expect(laps.observe('1', { lap: 5, lapTimeS: -3 }, 20_200)).toEqual({ kind: 'crossing', atMs: 20_200 });
  });

  it('watches again after a reset or a jump, without a crossing', () => {
    const laps = new SimLapCrossings();
    laps.observe('1', { lap: 3, lapTimeS: 1 }, 1000);
    expect(laps.observe('1', { lap: 0, lapTimeS: 0 }, 1100)).toEqual({ kind: 'jump' });
    expect(laps.observe('1', { lap: 7, lapTimeS: 0 }, 1200)).toEqual({ kind: 'jump' });
    expect(laps.observe('1', { lap: 8, lapTimeS: 0.01 }, 1300).kind).toBe('crossing');
  });

  it('keeps cars apart and forgets a car', () => {
    const laps = new SimLapCrossings();
    laps.observe('1', { lap: 0, lapTimeS: 1 }, 1000);
    laps.observe('2', { lap: 5, lapTimeS: 1 }, 1000);
    expect(laps.observe('2', { lap: 6, lapTimeS: 0 }, 1100).kind).toBe('crossing');
    laps.forget('1');
    expect(laps.observe('1', { lap: 1, lapTimeS: 0 }, 1200)).toEqual({ kind: 'none' });
  });
});
