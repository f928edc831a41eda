import { describe, expect, it } from 'vitest';
import { jpegHeaderOnly } from '../test/support/jpegs.ts';
import { decode, encode } from './codec.ts';

const control = { angle: 0.25, throttle: 0.5, mode: 'user' as const };

describe('codec', () => {
  it('round-trips a control message with v, seq and ts stamped', () => {
    const decoded = decode(encode<'control'>('car/1/control', 4, { ...control, ts: 1000 }));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.message.topic).toEqual({ scope: 'car', id: '1', kind: 'control' });
    expect(decoded.message.header).toMatchObject({ v: 1, seq: 4, ts: 1000, angle: 0.25, throttle: 0.5 });
  });

  it('keeps a frame payload byte-exact', () => {
    const jpeg = jpegHeaderOnly(160, 120);
    const decoded = decode(encode<'frame'>('car/1/frame', 0, { width: 160, height: 120, format: 'jpeg' }, jpeg));
    expect(decoded.ok && decoded.message.payload?.equals(jpeg)).toBe(true);
  });

  const good = encode<'control'>('car/1/control', 0, control);
  const cases: Array<[string, Buffer[], string]> = [
    ['one part', [Buffer.from('car/1/control')], 'parts'],
    ['four parts', [...good, Buffer.from('x'), Buffer.from('y')], 'parts'],
    ['unknown topic', [Buffer.from('car/1/warp'), good[1]!], 'topic'],
    ['bad JSON', [good[0]!, Buffer.from('{angle:')], 'json'],
    ['angle out of range', [good[0]!, Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, angle: 2, throttle: 0 }))], 'schema'],
    ['missing field', [good[0]!, Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, angle: 0 }))], 'schema'],
    ['NaN as null', [good[0]!, Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, angle: NaN, throttle: 0 }))], 'schema'],
    ['newer version', [good[0]!, Buffer.from(JSON.stringify({ v: 9, seq: 0, ts: 1, angle: 0, throttle: 0 }))], 'version'],
    ['a field the schema does not name', [good[0]!, Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, angle: 0, throttle: 0, car: '2' }))], 'unknown-field'],
    ['an unknown field deeper down', [Buffer.from('car/1/telemetry'), Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, mode: 'user', angle: 0, throttle: 0, model: 'm', loop: { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, extra: 1 } }))], 'unknown-field'],
    ['a gauge name that is no metric name', [Buffer.from('nuc/x/metrics'), Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, service: 'x', pid: 1, uptimeS: 0, rssBytes: 0, counters: { in: 0, out: 0, dropped: 0, droppedBy: {} }, loops: {}, gauges: { 'a\nb': 1 } }))], 'unknown-field'],
    ['a string over its bound', [good[0]!, Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, angle: 0, throttle: 0, input: 'x'.repeat(65) }))], 'schema'],
    ['nesting deeper than any header', [good[0]!, Buffer.from(`{"v":1,"seq":0,"ts":1,"angle":0,"throttle":0,"input":${'['.repeat(3000)}${']'.repeat(3000)}}`)], 'depth'],
    ['frame without payload', [Buffer.from('car/1/frame'), Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, width: 1, height: 1, format: 'jpeg' }))], 'payload'],
    ['control with payload', [...good, Buffer.alloc(4)], 'payload'],
  ];
  it.each(cases)('drops %s as %s', (_name, parts, reason) => {
    const decoded = decode(parts);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toBe(reason);
  });

  it("carries an agent's OS update download size: a whole number of bytes, bounded", () => {
    const agent = (downloadedBytes: number) => ({
      release: 'r1 v1',
      slot: 'A' as const,
      state: 'os-pending-reboot',
      progress: 1,
      osUpdate: { version: '0.2.0-bbbb', outcome: 'pending-reboot' as const, at: 1, downloadedBytes },
    });
    const decoded = decode(encode<'agent'>('car/1/agent', 0, agent(123_456_789)));
    expect(decoded.ok && decoded.message.header).toMatchObject({ osUpdate: { downloadedBytes: 123_456_789 } });
    expect(decode(encode<'agent'>('car/1/agent', 0, agent(2 ** 40))).ok).toBe(true);
    for (const bad of [-1, 1.5, 2 ** 40 + 1]) expect(decode(encode<'agent'>('car/1/agent', 0, agent(bad)))).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('counts brackets inside strings as text, not nesting', () => {
    const parts = encode<'control'>('car/1/control', 0, { angle: 0, throttle: 0, input: '[[[[{{{{"\\' });
    expect(decode(parts).ok).toBe(true);
  });

  it('drops an oversized payload before parsing it', () => {
    const header = encode<'frame'>('car/1/frame', 0, { width: 640, height: 480, format: 'jpeg' }, Buffer.alloc(1));
    const decoded = decode([header[0]!, header[1]!, Buffer.alloc(2048)], { maxPayloadBytes: 1024, maxHeaderBytes: 1024 });
    expect(decoded).toMatchObject({ ok: false, reason: 'oversized' });
  });
});
