import { describe, expect, it } from 'vitest';
import { chooseReleaseBase, releaseHealth } from './release-base.ts';
import type { RolloutOutcome } from './ota-db.ts';

const event = (car: string, to: number, outcome: RolloutOutcome, error: string | null = null) => ({ car, to, outcome, error });

describe('releaseHealth', () => {
  it('is healthy once a car installed it and none failed on it, unproven before any car tried', () => {
    expect(releaseHealth(2, [event('7', 2, 'installed'), event('8', 3, 'rolled-back')])).toEqual({ state: 'healthy' });
    expect(releaseHealth(3, [event('7', 2, 'installed')])).toEqual({ state: 'unproven' });
  });

  it('is withdrawn when cars rolled back from it and none runs it, naming the cars and the first error', () => {
    const events = [event('8', 3, 'failed'), event('7', 3, 'rolled-back', 'pilot exited with code 1'), event('10', 3, 'rolled-back')];
    expect(releaseHealth(3, events)).toEqual({ state: 'withdrawn', reason: 'rolled back on cars 7, 8, 10: pilot exited with code 1' });
    expect(releaseHealth(3, [event('8', 3, 'failed')])).toEqual({ state: 'withdrawn', reason: 'failed on car 8' });
  });

  it('counts each car\'s last attempt: a car that rolled back and then installed it on a retry ran it healthily', () => {
    expect(releaseHealth(3, [event('7', 3, 'rolled-back'), event('7', 3, 'installed')])).toEqual({ state: 'healthy' });
    expect(releaseHealth(3, [event('7', 3, 'installed'), event('7', 3, 'failed', 'no space')])).toEqual({ state: 'withdrawn', reason: 'failed on car 7: no space' });
  });

  it('is neither when it failed on one car and runs on another', () => {
    expect(releaseHealth(3, [event('7', 3, 'rolled-back'), event('8', 3, 'installed')])).toEqual({ state: 'unproven' });
  });
});

describe('chooseReleaseBase', () => {
  it('builds on the newest release unless it was withdrawn', () => {
    expect(chooseReleaseBase(undefined, [], [])).toEqual({ version: null, skipped: [] });
    expect(chooseReleaseBase(2, [1, 2], [])).toEqual({ version: 2, skipped: [] });
    expect(chooseReleaseBase(2, [1, 2], [event('7', 1, 'installed'), event('7', 2, 'installed')])).toEqual({ version: 2, skipped: [] });
  });

  it('after a rolled-back release builds on the last release a car ran healthily, past unproven and withdrawn ones', () => {
    const events = [event('7', 1, 'installed'), event('7', 3, 'rolled-back', 'crashed'), event('7', 4, 'rolled-back')];
    expect(chooseReleaseBase(4, [1, 2, 3, 4], events)).toEqual({
      version: 1,
      skipped: [
        { version: 4, reason: 'rolled back on car 7' },
        { version: 3, reason: 'rolled back on car 7: crashed' },
      ],
    });
  });

  it('with no healthy release, builds on the newest one not withdrawn, else on nothing', () => {
    expect(chooseReleaseBase(2, [1, 2], [event('7', 2, 'failed')]).version).toBe(1);
    expect(chooseReleaseBase(1, [1], [event('7', 1, 'rolled-back')])).toEqual({ version: null, skipped: [{ version: 1, reason: 'rolled back on car 7' }] });
  });
});
