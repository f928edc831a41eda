import { describe, expect, it } from 'vitest';
import { carTopic, decode, encode } from '../../protocol/index.ts';
import { telemetryFields, type TelemetryState } from './telemetry.ts';

const state: TelemetryState = {
  mode: 'local_angle',
  decision: { angle: 0.25, throttle: 0.5, source: 'pilot' },
  pilotName: 'expert',
  loop: { count: 10, overruns: 1, p50Ms: 2.5, p99Ms: 9, maxMs: 12 },
  recording: true,
  estop: false,
  inferMs: 3.2,
};

describe('telemetryFields', () => {
  it('makes a telemetry message the bus schema accepts', () => {
    const decoded = decode(encode(carTopic('7', 'telemetry'), 1, telemetryFields(state)));
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(decoded.message.header).toMatchObject({ mode: 'local_angle', angle: 0.25, throttle: 0.5, model: 'expert', inferMs: 3.2 });
  });

  it('carries the battery gauge\'s reading, and the bus refuses one out of bounds or with extra fields', () => {
    const withBattery = decode(encode(carTopic('7', 'telemetry'), 1, telemetryFields({ ...state, battery: { volts: 7.41, amps: -0.5, low: false } })));
    expect(withBattery.ok && withBattery.message.header).toMatchObject({ battery: { volts: 7.41, amps: -0.5, low: false } });
    expect(telemetryFields(state)).not.toHaveProperty('battery');
    const forged = (battery: object) => decode(encode(carTopic('7', 'telemetry'), 1, { ...telemetryFields(state), battery } as never));
    expect(forged({ volts: 99, amps: 0, low: false }).ok).toBe(false);
    expect(forged({ volts: 7, amps: 1e6, low: false }).ok).toBe(false);
    expect(forged({ volts: 7, amps: 1, low: false, note: '<script>' }).ok).toBe(false);
  });

  it("reports 'none' without a pilot and leaves out values that are not numbers", () => {
    const fields = telemetryFields({ ...state, pilotName: undefined, inferMs: Number.NaN, speed: Number.POSITIVE_INFINITY });
    expect(fields.model).toBe('none');
    expect(fields).not.toHaveProperty('inferMs');
    expect(fields).not.toHaveProperty('speed');
    expect(decode(encode(carTopic('7', 'telemetry'), 2, fields)).ok).toBe(true);
  });
});
