import { describe, expect, it } from 'vitest';
import { Guard, InjectedLoopFault, injectedLoops } from './guard.ts';

function recordingLog() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return { lines, log: { error: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }) } };
}

describe('Guard', () => {
  it('catches what a callback throws or rejects with, logs it and counts it under the loop', async () => {
    const { lines, log } = recordingLog();
    const guard = new Guard(log);
    const seen: string[] = [];
    guard.onFault((loop) => seen.push(loop));
    guard.wrap('bus_handler', () => {
      throw new Error('bad header');
    })();
    guard.wrap('car_sweep', async () => {
      throw new Error('disk gone');
    })();
    guard.own('startup', Promise.reject(new Error('late')));
    await new Promise((resolve) => setImmediate(resolve));
    expect([guard.faults('bus_handler'), guard.faults('car_sweep'), guard.faults('startup'), guard.faults()]).toEqual([1, 1, 1, 3]);
    expect(seen).toEqual(['bus_handler', 'car_sweep', 'startup']);
    expect(lines.map((l) => l.msg)).toEqual(['bus_handler failed; the service carries on', 'car_sweep failed; the service carries on', 'startup failed; the service carries on']);
  });

  it('keeps a timer going after its callback throws', async () => {
    const guard = new Guard({ error() {} });
    let runs = 0;
    const stop = guard.every('tick', 5, () => {
      runs++;
      throw new Error('every time');
    });
    while (runs < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    stop();
    expect(guard.faults('tick')).toBeGreaterThanOrEqual(3);
  });

  it('logs at most one line a second per loop, however many faults', () => {
    const { lines, log } = recordingLog();
    let now = 0;
    const guard = new Guard(log, new Set(), () => now);
    const failing = guard.wrap('physics', () => {
      throw new Error('x');
    });
    for (let i = 0; i < 100; i++) failing();
    now = 1000;
    failing();
    expect(guard.faults('physics')).toBe(101);
    expect(lines.map((l) => [l.obj.faults, l.obj.unlogged])).toEqual([
      [1, 0],
      [101, 99],
    ]);
  });

  it('runs an injected throwing handler beside the real one, so the loop still does its work', () => {
    const guard = new Guard({ error() {} }, injectedLoops({ EDGE_FAULT_INJECT: 'bus_handler, tick' }));
    const handled: number[] = [];
    const handler = guard.wrap('bus_handler', (n: number) => handled.push(n));
    handler(1);
    handler(2);
    guard.wrap('other', () => handled.push(3))();
    expect(handled).toEqual([1, 2, 3]);
    expect([guard.faults('bus_handler'), guard.faults('other')]).toEqual([2, 0]);
    expect(new InjectedLoopFault('tick').message).toContain('EDGE_FAULT_INJECT');
  });

  it('refuses a loop name that could not be a metric name', () => {
    expect(() => new Guard({ error() {} }).wrap('Bus Handler', () => undefined)).toThrow(RangeError);
  });
});
