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
    ['frame without payload', [Buffer.from('car/1/frame'), Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, width: 1, height: 1, format: 'jpeg' }))], 'payload'],
    ['control with payload', [...good, Buffer.alloc(4)], 'payload'],
  ];
  it.each(cases)('drops %s as %s', (_name, parts, reason) => {
    const decoded = decode(parts);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toBe(reason);
  });

  it('drops an oversized payload before parsing it', () => {
    const header = encode<'frame'>('car/1/frame', 0, { width: 640, height: 480, format: 'jpeg' }, Buffer.alloc(1));
    const decoded = decode([header[0]!, header[1]!, Buffer.alloc(2048)], { maxPayloadBytes: 1024, maxHeaderBytes: 1024 });
    expect(decoded).toMatchObject({ ok: false, reason: 'oversized' });
  });
});
