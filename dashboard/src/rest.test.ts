import { afterEach, describe, expect, it, vi } from 'vitest';
import { untilAnswered } from './rest.ts';

describe('untilAnswered', () => {
  afterEach(() => vi.useRealTimers());

  it('asks again after each failure, waiting longer each time, until it answers', async () => {
    vi.useFakeTimers();
    const asked: number[] = [];
    let failures = 3;
    const answer = untilAnswered(async () => {
      asked.push(Date.now());
      if (failures-- > 0) throw new Error('the NUC answered 503');
      return 'track';
    }, () => false);
    await vi.runAllTimersAsync();
    await expect(answer).resolves.toBe('track');
    expect(asked.slice(1).map((at, i) => at - asked[i]!)).toEqual([1000, 2000, 4000]);
  });

  it('gives up once cancelled (the view is gone)', async () => {
    vi.useFakeTimers();
    let cancelled = false;
    let asks = 0;
    const answer = untilAnswered(async () => {
      asks++;
      cancelled = true;
      throw new Error('down');
    }, () => cancelled);
    await vi.runAllTimersAsync();
    await expect(answer).resolves.toBeUndefined();
    expect(asks).toBe(1);
  });
});
