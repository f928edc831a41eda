import { describe, expect, it } from 'vitest';
import { LowBatteryJudge } from './low-battery.ts';

describe('low battery judgement', () => {
  it('warns once the averaged voltage is below lowVolts, not on one sag under throttle', () => {
    const judge = new LowBatteryJudge({ lowVolts: 6.6, hysteresisVolts: 0.2, window: 4 });
    for (let i = 0; i < 4; i++) expect(judge.add(7.2)).toBe(false);
    expect(judge.add(6.0)).toBe(false); // one sag: the average is 7.05
    expect(judge.add(6.4)).toBe(false);
    expect(judge.add(6.4)).toBe(true); // average (7.2 + 6 + 6.4 + 6.4) / 4 = 6.5
  });

  it('clears only above lowVolts plus the hysteresis', () => {
    const judge = new LowBatteryJudge({ lowVolts: 6.6, hysteresisVolts: 0.2, window: 1 });
    expect(judge.add(6.5)).toBe(true);
    expect(judge.add(6.7)).toBe(true);
    expect(judge.add(6.81)).toBe(false);
    expect(judge.add(6.7)).toBe(false);
  });

  it('ignores a reading that is not a number and starts afresh after a reset', () => {
    const judge = new LowBatteryJudge({ lowVolts: 6.6, hysteresisVolts: 0.2, window: 2 });
    expect(judge.add(6)).toBe(true);
    expect(judge.add(Number.NaN)).toBe(true);
    judge.reset();
    expect(judge.low).toBe(false);
    expect(judge.add(7.5)).toBe(false);
  });
});
