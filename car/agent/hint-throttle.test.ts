import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HintThrottle } from './hint-throttle.ts';

describe('HintThrottle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('wakes at once on the first hint and folds a flood into one wake per interval', () => {
    const wakes: number[] = [];
    const throttle = new HintThrottle(1000, () => wakes.push(Date.now()));
    const start = Date.now();
    throttle.hint();
    expect(wakes).toEqual([start]);
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(10);
      throttle.hint();
    }
    // 500 ms in: the flood is waiting for the interval's end
    expect(wakes).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(wakes).toEqual([start, start + 1000]);
    expect(throttle.folded).toBe(50);
    // nothing more pending: the poll is not woken again without a new hint
    vi.advanceTimersByTime(5000);
    expect(wakes).toHaveLength(2);
  });

  it('lets a hint after a quiet interval through at once', () => {
    let wakes = 0;
    const throttle = new HintThrottle(1000, () => wakes++);
    throttle.hint();
    vi.advanceTimersByTime(1500);
    throttle.hint();
    expect(wakes).toBe(2);
    expect(throttle.folded).toBe(0);
  });

  it('drops a pending wake when stopped', () => {
    let wakes = 0;
    const throttle = new HintThrottle(1000, () => wakes++);
    throttle.hint();
    throttle.hint();
    throttle.stop();
    vi.advanceTimersByTime(2000);
    expect(wakes).toBe(1);
  });
});
