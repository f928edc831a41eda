import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../protocol/index.ts';
import { FrameRunner } from './frame-runner.ts';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A pilot whose runs finish only when the test says so. */
function gatedPilot() {
  const started: number[] = [];
  const gates: (() => void)[] = [];
  return {
    started,
    run: (frame: number) =>
      new Promise<void>((resolve) => {
        started.push(frame);
        gates.push(resolve);
      }),
    finishOne: async () => {
      gates.shift()?.();
      await flush();
    },
  };
}

describe('FrameRunner', () => {
  it('runs the pilot on every frame that arrives while it is free', async () => {
    const frames = new Mailbox<number>();
    const seen: number[] = [];
    const runner = new FrameRunner({ frames, active: () => true, run: async (f) => void seen.push(f) });
    runner.start();
    for (let f = 1; f <= 5; f++) {
      frames.put(f);
      await flush();
    }
    await runner.stop();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(runner.inferred).toBe(5);
    expect(runner.skipped).toBe(0);
  });

  it('takes the newest frame after a slow run and counts the ones replaced meanwhile', async () => {
    const frames = new Mailbox<number>();
    const pilot = gatedPilot();
    const runner = new FrameRunner({ frames, active: () => true, run: pilot.run });
    runner.start();
    frames.put(1);
    await flush();
    // frames 2, 3 and 4 arrive while frame 1 is inferred: 4 waits, 2 and 3 are replaced
    frames.put(2);
    frames.put(3);
    frames.put(4);
    await pilot.finishOne();
    expect(pilot.started).toEqual([1, 4]);
    expect(runner.skipped).toBe(2);
    // a frame arriving during a run waits for it, and is not lost
    frames.put(5);
    await pilot.finishOne();
    await pilot.finishOne();
    expect(pilot.started).toEqual([1, 4, 5]);
    expect(runner.skipped).toBe(2);
    const stopped = runner.stop();
    await stopped;
    expect(runner.inferred).toBe(3);
  });

  it('takes frames without running the pilot while it is not in charge, and survives a failing run', async () => {
    const frames = new Mailbox<number>();
    let active = false;
    const noted: number[] = [];
    const errors: unknown[] = [];
    const ran: number[] = [];
    const runner = new FrameRunner({
      frames,
      active: () => active,
      onFrame: (f) => noted.push(f),
      run: async (f) => {
        ran.push(f);
        if (f === 3) throw new Error('model failed on frame 3');
      },
      onError: (error) => errors.push(error),
    });
    runner.start();
    frames.put(1);
    await flush();
    active = true;
    for (const f of [2, 3, 4]) {
      frames.put(f);
      await flush();
    }
    await runner.stop();
    expect(noted).toEqual([1, 2, 3, 4]);
    expect(ran).toEqual([2, 3, 4]);
    expect(errors).toHaveLength(1);
    expect(runner.inferred).toBe(2);
  });
});
