import { describe, expect, it } from 'vitest';
import type { BusPublisher, FieldsOf } from '../../protocol/index.ts';
import { startWheelBridge } from './bridge.ts';
import { WheelConfigSchema } from '../../runtime/index.ts';
import { Value } from '@sinclair/typebox/value';

function recordingPublisher() {
  const sent: Array<{ topic: string; fields: FieldsOf<'control'> }> = [];
  const publisher = {
    send: async (topic: string, fields: FieldsOf<'control'>) => {
      sent.push({ topic, fields });
    },
  } as unknown as BusPublisher;
  return { publisher, sent };
}

const config = Value.Default(WheelConfigSchema, {}) as ReturnType<typeof Value.Default> & { device: 'virtual' };

describe('wheel bridge', () => {
  it('publishes every input as a control for its car, with flags only when they change', async () => {
    const { publisher, sent } = recordingPublisher();
    const bridge = await startWheelBridge({ carId: '7', config: config as never, publisher });
    bridge.virtual.set({ steering16: 33500 });
    bridge.virtual.set({ steering16: 34500 });
    expect(sent).toHaveLength(2);
    expect(sent[0]!.topic).toBe('car/7/control');
    expect(sent[0]!.fields).toMatchObject({ mode: 'user', recording: false, estop: false });
    expect(sent[1]!.fields.angle).toBeGreaterThan(sent[0]!.fields.angle);
    expect(sent[1]!.fields).not.toHaveProperty('mode');
    expect(sent[1]!.fields).not.toHaveProperty('estop');
  });

  it('adopts a mode the car reports so it does not undo another input’s change', async () => {
    const { publisher, sent } = recordingPublisher();
    const bridge = await startWheelBridge({ carId: '7', config: config as never, publisher });
    bridge.virtual.set({ steering16: 32768 });
    bridge.syncFromTelemetry({ v: 1, seq: 0, ts: 0, mode: 'local', angle: 0, throttle: 0, model: 'x', loop: { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 } });
    bridge.virtual.set({ steering16: 33000 });
    expect(sent.at(-1)!.fields).not.toHaveProperty('mode');
    expect(bridge.mapper.state.mode).toBe('local');
  });

  it('sends one erase of nuc.recorder.eraseSeconds per press of the erase button', async () => {
    const { publisher, sent } = recordingPublisher();
    const bridge = await startWheelBridge({ carId: '7', config: config as never, publisher, eraseSeconds: 8 });
    bridge.virtual.tap('select');
    bridge.virtual.set({ buttons: ['select'] });
    bridge.virtual.set({ buttons: ['select'] }); // held: no second erase
    const erases = sent.filter((m) => m.topic === 'car/7/erase');
    expect(erases.map((m) => m.fields)).toEqual([{ seconds: 8 }, { seconds: 8 }]);
    expect(sent.filter((m) => m.topic === 'car/7/control').length).toBeGreaterThan(0);
  });
});
