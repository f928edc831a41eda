import { describe, expect, it } from 'vitest';
import { ControlRelay, type ControlFields } from './control-relay.ts';

describe('ControlRelay', () => {
  it('an action repeats the fresh browser input, or neutral once it is stale', () => {
    let now = 0;
    const sent: [string, ControlFields][] = [];
    const relay = new ControlRelay((car, fields) => sent.push([car, fields]), { now: () => now, inputFreshMs: 500 });
    relay.input('1', { angle: 0.4, throttle: 0.3, input: 'browser' });
    now = 100;
    relay.action('1', { mode: 'local_angle' });
    now = 1000;
    relay.action('1', { recording: true });
    expect(sent).toEqual([
      ['1', { angle: 0.4, throttle: 0.3, input: 'browser' }],
      ['1', { angle: 0.4, throttle: 0.3, input: 'browser', mode: 'local_angle' }],
      ['1', { angle: 0, throttle: 0, input: 'browser', recording: true }],
    ]);
  });

  it('an emergency stop never carries throttle', () => {
    const sent: ControlFields[] = [];
    const relay = new ControlRelay((_car, fields) => sent.push(fields));
    relay.input('1', { angle: 0.2, throttle: 0.9, input: 'browser' });
    relay.action('1', { estop: true });
    expect(sent[1]).toMatchObject({ estop: true, throttle: 0 });
  });
});
