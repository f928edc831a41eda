import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decode, encode, type BusMessage } from '../../protocol/index.ts';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';
import type { TubWriteRecord } from '../../trainer/tub/index.ts';
import { tubImage } from './downscale.ts';
import { Recorder } from './recorder.ts';

function message(topic: string, fields: object, payload?: Buffer): BusMessage {
  const decoded = decode(encode(topic, 0, fields as never, payload));
  if (!decoded.ok) throw new Error(decoded.detail);
  return decoded.message;
}

const telemetry = (recording: boolean) => ({ mode: 'user', angle: 0, throttle: 0, model: 'none', loop: { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 }, recording });

describe('Recorder', () => {
  it('keeps one tub per car and ignores cars it is not asked to record', async () => {
    const written = new Map<string, TubWriteRecord[]>();
    const recorder = new Recorder(
      {
        tubsDir: '/data/tubs',
        now: () => new Date(2024, 0, 2, 3, 4, 5),
        exists: async () => false,
        prepareImage: async (frame) => frame.jpeg,
        openTub: async (dir) => {
          written.set(dir, []);
          return { dir, write: async (record) => written.get(dir)!.push(record), close: async () => undefined };
        },
      },
      new Set(['1', '2']),
    );
    for (const car of ['1', '2', '3']) {
      recorder.handle(message(`car/${car}/telemetry`, { ...telemetry(true), ts: 1000 }));
      recorder.handle(message(`car/${car}/control`, { angle: 0.5, throttle: 0.25, ts: 1000 }));
      recorder.handle(message(`car/${car}/frame`, { width: 160, height: 120, format: 'jpeg', ts: 1020 }, jpegHeaderOnly(160, 120)));
    }
    await recorder.settled();
    expect([...written.keys()]).toEqual(['/data/tubs/2024-01-02_03-04-05_car1', '/data/tubs/2024-01-02_03-04-05_car2']);
    expect(written.get('/data/tubs/2024-01-02_03-04-05_car2')).toEqual([expect.objectContaining({ angle: 0.5, throttle: 0.25, timestampMs: 1020 })]);
    expect(recorder.totals()).toMatchObject({ recording: 2, records: 2, tubs: 2, errors: 0 });
    await recorder.close();
    expect(recorder.totals().recording).toBe(0);
  });
});

describe('tubImage', () => {
  it('stores a 160x120 frame as it came and resizes a bigger one to 160x120', async () => {
    const small = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#406080' } }).jpeg().toBuffer();
    expect(await tubImage({ jpeg: small, width: 160, height: 120 })).toBe(small);
    const big = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#406080' } }).jpeg().toBuffer();
    const resized = await sharp(await tubImage({ jpeg: big, width: 640, height: 480 })).metadata();
    expect([resized.width, resized.height, resized.format]).toEqual([160, 120, 'jpeg']);
  });
});
