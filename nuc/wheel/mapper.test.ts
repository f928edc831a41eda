import { describe, expect, it } from 'vitest';
import { ControlMapper } from './mapper.ts';
import { DEFAULT_WHEEL_MAPPING } from './mapping.ts';
import type { WheelState } from './types.ts';

const idle = (buttons: string[] = [], patch: Partial<WheelState> = {}): WheelState => ({
  steering: 0,
  throttle: 0,
  brake: 0,
  clutch: 0,
  buttons: new Set(buttons),
  ...patch,
});

describe('ControlMapper', () => {
  it('cycles the mode once per press, not while held', () => {
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING);
    expect(mapper.map(idle(['north']), 'x').mode).toBe('local_angle');
    expect(mapper.map(idle(['north']), 'x').mode).toBe('local_angle');
    mapper.map(idle(), 'x');
    expect(mapper.map(idle(['north']), 'x').mode).toBe('local');
    mapper.map(idle(), 'x');
    expect(mapper.map(idle(['north']), 'x').mode).toBe('user');
  });

  it('asks for a reset to the track once per press of the reset button', () => {
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING);
    expect(mapper.map(idle(['south']), 'x').reset).toBe(true);
    expect(mapper.map(idle(['south']), 'x').reset).toBeUndefined();
    expect(mapper.map(idle(), 'x').reset).toBeUndefined();
    expect(mapper.map(idle(['south']), 'x').reset).toBe(true);
  });

  it('asks for an erase once per press of the erase button (select)', () => {
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING);
    expect(mapper.map(idle(['select']), 'x').erase).toBe(true);
    expect(mapper.map(idle(['select']), 'x').erase).toBeUndefined();
    expect(mapper.map(idle(), 'x')).not.toHaveProperty('erase');
  });

  it('toggles recording and latches estop, which forces throttle to 0', () => {
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING);
    expect(mapper.map(idle(['west']), 'x').recording).toBe(true);
    const stopped = mapper.map(idle(['west', 'east'], { throttle: 1 }), 'x');
    expect(stopped).toMatchObject({ recording: true, estop: true, throttle: 0 });
    mapper.map(idle(), 'x');
    expect(mapper.map(idle(['east'], { throttle: 1 }), 'x')).toMatchObject({ estop: false, throttle: 0.5 });
  });

  it('changes top speed and trim from buttons and reports the new config', () => {
    const changes: number[] = [];
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING, { onConfigChange: (c) => changes.push(c.topSpeed) });
    mapper.map(idle(['dpad_up']), 'x');
    expect(mapper.config.topSpeed).toBe(44);
    expect(changes).toEqual([44]);
    expect(mapper.map(idle([], { throttle: 1 }), 'x').throttle).toBeCloseTo(44 / 80, 12);
    for (let i = 0; i < 3; i++) {
      mapper.map(idle(['dpad_right']), 'x');
      mapper.map(idle(), 'x');
    }
    expect(mapper.config.steeringVeer).toBe(0.03);
    expect(mapper.map(idle(), 'x').angle).toBeCloseTo(0.03, 12);
  });

  it('changes parameters live and rejects bad ones with the field named', () => {
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING);
    mapper.updateConfig({ steeringRange: 0.5 });
    expect(mapper.map(idle([], { steering: 1 }), 'x').angle).toBe(0.5);
    expect(() => mapper.updateConfig({ topSpeed: 200 })).toThrow(/topSpeed/);
    expect(() => mapper.updateConfig({ steeringScale: Number.NaN })).toThrow(/steeringScale/);
    expect(mapper.config.topSpeed).toBe(40);
  });

  it('binds actions to any configured button names', () => {
    const mapper = new ControlMapper({ ...DEFAULT_WHEEL_MAPPING, buttons: { ...DEFAULT_WHEEL_MAPPING.buttons, estop: ['b7', 'home'] } });
    expect(mapper.map(idle(['home']), 'x').estop).toBe(true);
  });

  it('gives no throttle in the neutral (no wheel) control', () => {
    const mapper = new ControlMapper(DEFAULT_WHEEL_MAPPING);
    expect(mapper.neutral()).toEqual({ angle: 0, throttle: 0, mode: 'user', recording: false, estop: false, input: 'none' });
  });
});
