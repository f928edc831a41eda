import { describe, expect, it } from 'vitest';
import { ActuatorCore, type DriveCommand } from './actuator-core.ts';

let seq = 0;
function command(fields: Partial<DriveCommand> = {}): DriveCommand {
  seq++;
  return { seq, ts: 0, gen: 1, angle: 0.2, throttle: 0.5, source: 'pilot', frameSeq: seq, ...fields };
}

describe('ActuatorCore', () => {
  it('is idle (neutral) before any command', () => {
    expect(new ActuatorCore().tick(0)).toMatchObject({ angle: 0, throttle: 0, reason: 'idle' });
  });

  it('applies the latest command', () => {
    const core = new ActuatorCore();
    core.submit(command({ throttle: 0.3 }), 0);
    core.submit(command({ angle: -0.5, throttle: 0.6 }), 5);
    expect(core.tick(10)).toMatchObject({ angle: -0.5, throttle: 0.6, reason: 'command' });
    expect(core.counters.accepted).toBe(2);
  });

  it('falls back to neutral throttle once failsafeMs passes without a command, holding steering', () => {
    const core = new ActuatorCore({ failsafeMs: 250 });
    core.submit(command({ angle: 0.4, throttle: 0.7 }), 1000);
    expect(core.tick(1249)).toMatchObject({ throttle: 0.7, reason: 'command' });
    expect(core.tick(1250)).toMatchObject({ angle: 0.4, throttle: 0, reason: 'failsafe' });
    expect(core.tick(1300).reason).toBe('failsafe');
    expect(core.counters.failsafeTrips).toBe(1);
    core.submit(command({ throttle: 0.2 }), 1301);
    expect(core.tick(1302)).toMatchObject({ throttle: 0.2, reason: 'command' });
  });

  it('with a loop period, neutral comes within failsafeMs plus one loop', () => {
    const core = new ActuatorCore();
    const loopMs = 20;
    core.submit(command(), 3);
    let neutralAt: number | undefined;
    for (let now = 0; now < 1000 && neutralAt === undefined; now += loopMs) {
      if (core.tick(now).throttle === 0 && now > 3) neutralAt = now;
    }
    expect(neutralAt).toBeDefined();
    expect(neutralAt! - 3).toBeLessThanOrEqual(250 + loopMs);
  });

  it('estop latches neutral throttle while commands keep coming, until cleared', () => {
    const core = new ActuatorCore();
    core.submit(command({ angle: 0.3 }), 0);
    core.estop();
    core.submit(command({ angle: 0.1, throttle: 1 }), 10);
    expect(core.tick(11)).toMatchObject({ angle: 0.1, throttle: 0, reason: 'estop' });
    expect(core.estopped).toBe(true);
    core.clearEstop();
    // the command from before the clear does not bring throttle back
    expect(core.tick(12)).toMatchObject({ throttle: 0, reason: 'idle' });
    core.submit(command({ throttle: 0.4 }), 13);
    expect(core.tick(14)).toMatchObject({ throttle: 0.4, reason: 'command' });
  });

  it('ignores a seq older than the last applied one of the same gen', () => {
    const core = new ActuatorCore();
    core.submit({ ...command({ throttle: 0.5 }), seq: 10 }, 0);
    expect(core.submit({ ...command({ throttle: 0.9 }), seq: 9 }, 1)).toBe('stale');
    expect(core.submit({ ...command({ throttle: 0.9 }), seq: 10 }, 1)).toBe('stale');
    expect(core.tick(2).throttle).toBe(0.5);
    // another generation (a restarted pilot) starts its seq afresh
    expect(core.submit({ ...command({ gen: 2, throttle: 0.1 }), seq: 1 }, 3)).toBe('accepted');
    expect(core.tick(4).throttle).toBe(0.1);
    expect(core.counters.ignoredStale).toBe(2);
  });

  it('takes a restarted pilot of the same generation at once, though its seq starts from 0 again', () => {
    const core = new ActuatorCore({ activeGen: 3 });
    // the crashed pilot had driven for a while: seq 1400
    expect(core.submit({ ...command({ gen: 3, instance: 5000, throttle: 0.5 }), seq: 1400 }, 0)).toBe('accepted');
    // its replacement, started later, counts from 0
    expect(core.submit({ ...command({ gen: 3, instance: 7400, throttle: 0.2 }), seq: 0 }, 10)).toBe('accepted');
    expect(core.tick(11)).toMatchObject({ throttle: 0.2, reason: 'command' });
    expect(core.submit({ ...command({ gen: 3, instance: 7400, throttle: 0.3 }), seq: 1 }, 12)).toBe('accepted');
    // a late command of the old process never wins again, whatever its seq
    expect(core.submit({ ...command({ gen: 3, instance: 5000, throttle: 0.9 }), seq: 1401 }, 13)).toBe('stale');
    // and the new one's own seq still has to rise
    expect(core.submit({ ...command({ gen: 3, instance: 7400, throttle: 0.9 }), seq: 1 }, 14)).toBe('stale');
    expect(core.tick(15).throttle).toBe(0.3);
    expect(core.counters).toMatchObject({ newInstances: 1, ignoredStale: 2 });
  });

  it('treats a sender without an instance as instance 0 (older pilots keep working)', () => {
    const core = new ActuatorCore();
    expect(core.submit({ ...command({ gen: 1 }), seq: 5 }, 0)).toBe('accepted');
    expect(core.submit({ ...command({ gen: 1, instance: 1 }), seq: 0 }, 1)).toBe('accepted');
    expect(core.submit({ ...command({ gen: 1 }), seq: 6 }, 2)).toBe('stale');
  });

  it('with activeGen, ignores other generations; the gen can be switched at run time', () => {
    const core = new ActuatorCore({ activeGen: 1 });
    core.submit(command({ gen: 1, throttle: 0.3 }), 0);
    expect(core.submit(command({ gen: 2, throttle: 0.9 }), 1)).toBe('other-gen');
    expect(core.tick(2).throttle).toBe(0.3);
    core.setActiveGen(2);
    expect(core.submit(command({ gen: 1, throttle: 0.8 }), 3)).toBe('other-gen');
    core.submit(command({ gen: 2, throttle: 0.6 }), 4);
    expect(core.tick(5).throttle).toBe(0.6);
    expect(core.counters.ignoredGen).toBe(2);
  });

  it('rejects and counts non-finite or malformed commands without changing the output', () => {
    const core = new ActuatorCore();
    core.submit(command({ throttle: 0.25 }), 0);
    expect(core.submit(command({ throttle: Number.NaN }), 1)).toBe('rejected');
    expect(core.submit(command({ angle: Infinity }), 1)).toBe('rejected');
    expect(core.submit({ ...command(), source: 'bogus' } as unknown as DriveCommand, 1)).toBe('rejected');
    expect(core.submit(null as unknown as DriveCommand, 1)).toBe('rejected');
    expect(core.tick(2).throttle).toBe(0.25);
    expect(core.counters.rejected).toBe(4);
  });

  it('clamps out-of-range values into [-1, 1]', () => {
    const core = new ActuatorCore();
    core.submit(command({ angle: -3, throttle: 2 }), 0);
    expect(core.tick(1)).toMatchObject({ angle: -1, throttle: 1 });
  });

  it('refuses a nonsensical failsafeMs', () => {
    expect(() => new ActuatorCore({ failsafeMs: 0 })).toThrow(/failsafeMs/);
  });
});
