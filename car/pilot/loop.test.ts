import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DriveLoop, driveRateFor, planNextTick, validateRateHz, type LoopClock, type TickInfo } from './loop.ts';

/** Manual time: sleepers wake only when the test advances the clock (optionally oversleeping). */
class FakeClock implements LoopClock {
  t = 0;
  oversleepMs = 0;
  private sleepers: { at: number; wake: () => void }[] = [];

  now = (): number => this.t;

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      // like timers/promises: the abort listener goes when the sleep ends, whichever way it ends
      const onAbort = (): void => resolve();
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.sleepers.push({ at: this.t + ms + this.oversleepMs, wake });
      signal.addEventListener('abort', onAbort, { once: true });
    });

  /** Moves time forward to `target`, waking sleepers in order and letting the loop run until it sleeps again. */
  async advanceTo(target: number): Promise<void> {
    await this.untilSleeping();
    while (true) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const first = this.sleepers[0];
      if (!first || first.at > target) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, first.at);
      first.wake();
      await this.untilSleeping();
    }
    this.t = Math.max(this.t, target);
  }

  private async untilSleeping(): Promise<void> {
    for (let i = 0; i < 10_000 && this.sleepers.length === 0; i++) await flush();
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function loopWith(clock: FakeClock, rateHz: number, workMs: (info: TickInfo) => number) {
  const ticks: TickInfo[] = [];
  const loop = new DriveLoop({
    rateHz,
    clock,
    tick: (info) => {
      ticks.push(info);
      clock.t += workMs(info);
    },
  });
  return { loop, ticks };
}

describe('DriveLoop', () => {
  it('ticks at 20 Hz by default, each due at start + n·period', async () => {
    const clock = new FakeClock();
    const ticks: TickInfo[] = [];
    const loop = new DriveLoop({ clock, tick: (info) => void ticks.push(info) });
    expect(loop.rateHz).toBe(20);
    loop.start();
    await clock.advanceTo(1000);
    await loop.stop();
    expect(ticks.map((t) => t.dueAt)).toEqual(Array.from({ length: 21 }, (_, n) => n * 50));
    expect(loop.stats()).toMatchObject({ count: 21, overruns: 0 });
  });

  it('does not drift when timers wake late', async () => {
    const clock = new FakeClock();
    clock.oversleepMs = 3;
    const { loop, ticks } = loopWith(clock, 20, () => 5);
    loop.start();
    await clock.advanceTo(2000);
    await loop.stop();
    // Every tick starts 3 ms after its own slot, not 3 ms more each time.
    expect(ticks.length).toBe(40);
    for (const [n, t] of ticks.entries()) {
      expect(t.dueAt).toBe(n * 50);
      if (n > 0) expect(t.startedAt).toBe(n * 50 + 3);
    }
  });

  it('skips the slots an overrunning tick used up instead of bursting', async () => {
    const clock = new FakeClock();
    // Every tick takes 120 ms of a 50 ms period until t = 600, then 10 ms.
    const { loop, ticks } = loopWith(clock, 20, () => (clock.t < 600 ? 120 : 10));
    loop.start();
    await clock.advanceTo(700);
    await loop.stop();
    expect(ticks.map((t) => [t.tick, t.startedAt])).toEqual([
      [0, 0],
      [2, 120],
      [4, 240],
      [7, 360],
      [9, 480],
      [12, 600],
      [13, 650],
      [14, 700],
    ]);
    expect(loop.stats().overruns).toBe(5);
    expect(loop.skipped).toBe(1 + 1 + 2 + 1 + 2);
  });

  it('gets back on schedule after one slow tick', async () => {
    const clock = new FakeClock();
    const { loop, ticks } = loopWith(clock, 20, (info) => (info.tick === 0 ? 120 : 10));
    loop.start();
    await clock.advanceTo(400);
    await loop.stop();
    expect(ticks.map((t) => [t.tick, t.startedAt])).toEqual([
      [0, 0],
      [2, 120], // tick 2's slot was under way: run at once, late
      [3, 150],
      [4, 200],
      [5, 250],
      [6, 300],
      [7, 350],
      [8, 400],
    ]);
    expect(loop.stats().overruns).toBe(1);
    expect(loop.skipped).toBe(1);
  });

  it('reports p50, p99 and max of the work time', async () => {
    const clock = new FakeClock();
    const { loop } = loopWith(clock, 1, (info) => info.tick + 1);
    loop.start();
    await clock.advanceTo(99_000);
    await loop.stop();
    expect(loop.stats()).toEqual({ count: 100, overruns: 0, p50Ms: 50, p99Ms: 99, maxMs: 100 });
  });

  it('keeps the percentiles to a bounded window of recent ticks', async () => {
    const clock = new FakeClock();
    const loop = new DriveLoop({ rateHz: 1, clock, windowSize: 10, tick: (info) => void (clock.t += info.tick < 90 ? 80 : 5) });
    loop.start();
    await clock.advanceTo(99_000);
    await loop.stop();
    expect(loop.stats()).toMatchObject({ count: 100, p50Ms: 5, p99Ms: 5, maxMs: 80 });
  });

  it('keeps running when a tick throws, and reports the error', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let n = 0;
    const loop = new DriveLoop({
      clock,
      onError: (e) => errors.push(e),
      tick: () => {
        if (++n === 2) throw new Error('bad frame');
      },
    });
    loop.start();
    await clock.advanceTo(200);
    await loop.stop();
    expect(n).toBe(5);
    expect(loop.errors).toBe(1);
    expect((errors[0] as Error).message).toBe('bad frame');
  });

  it('stops with the real clock and runs no tick after stop()', async () => {
    let count = 0;
    const loop = new DriveLoop({ rateHz: 100, tick: () => void count++ });
    loop.start();
    expect(loop.running).toBe(true);
    expect(() => loop.start()).toThrow(/already running/);
    while (count < 3) await sleep(5);
    await loop.stop();
    const atStop = count;
    await sleep(50);
    expect(count).toBe(atStop);
    expect(loop.running).toBe(false);
  });

  it('lets I/O in between ticks even when every tick overruns', async () => {
    let ticks = 0;
    const loop = new DriveLoop({
      rateHz: 100,
      tick: () => {
        ticks++;
        const until = performance.now() + 15; // synchronous work longer than the 10 ms period
        while (performance.now() < until);
      },
    });
    loop.start();
    await sleep(30); // a timer firing at all proves the event loop was not starved
    const ticksWhenTimerFired = ticks;
    await loop.stop();
    expect(ticksWhenTimerFired).toBeGreaterThan(0);
    expect(loop.stats().overruns).toBeGreaterThan(0);
  });

  it('validates the rate', () => {
    for (const bad of [0, 0.5, 121, Number.NaN]) expect(() => validateRateHz(bad)).toThrow(/rateHz must be a number from 1 to 120/);
    expect(() => new DriveLoop({ rateHz: 500, tick: () => {} })).toThrow(RangeError);
    expect(validateRateHz(60)).toBe(60);
  });
});

describe('planNextTick', () => {
  it('runs the next tick on time when the work fit in the period', () => {
    expect(planNextTick(1000, 50, 3, 1170)).toEqual({ tick: 4, dueAt: 1200, overrun: false, skipped: 0 });
  });

  it('runs the tick whose slot is under way, late, and skips the ones that passed', () => {
    expect(planNextTick(0, 50, 0, 175)).toEqual({ tick: 3, dueAt: 150, overrun: true, skipped: 2 });
  });
});

describe('driveRateFor', () => {
  it('caps the loop at the camera rate', () => {
    expect(driveRateFor(20, 30)).toBe(20);
    expect(driveRateFor(60, 30)).toBe(30);
    expect(driveRateFor(20, Number.NaN)).toBe(20);
  });
});
