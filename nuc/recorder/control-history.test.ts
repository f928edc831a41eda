import { describe, expect, it } from 'vitest';
import { ControlHistory } from './control-history.ts';

describe('ControlHistory', () => {
  it('pairs a frame with the newest control at or before it, only while fresh', () => {
    const history = new ControlHistory();
    history.add({ ts: 1000, angle: 0.1, throttle: 0.2 });
    history.add({ ts: 1050, angle: 0.3, throttle: 0.4 });
    history.add({ ts: 1100, angle: 0.5, throttle: 0.6 });
    expect(history.at(1075, 500)).toMatchObject({ ts: 1050 });
    expect(history.at(1100, 500)).toMatchObject({ ts: 1100 });
    expect(history.at(999, 500)).toBeUndefined();
    expect(history.at(1601, 500)).toBeUndefined();
    expect(history.at(1600, 500)).toMatchObject({ ts: 1100 });
  });

  it('keeps order when a control arrives late, and forgets old ones', () => {
    const history = new ControlHistory(1000);
    history.add({ ts: 1000, angle: 0, throttle: 0 });
    history.add({ ts: 1100, angle: 1, throttle: 0 });
    history.add({ ts: 1050, angle: 0.5, throttle: 0 });
    expect(history.at(1060, 500)?.angle).toBe(0.5);
    history.add({ ts: 5000, angle: -1, throttle: 0 });
    expect(history.at(1100, 10_000)).toBeUndefined();
  });
});
