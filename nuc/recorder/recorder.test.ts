import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decode, encode, type BusMessage } from '../../protocol/index.ts';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';
import type { TubWriteRecord } from '../../tub/index.ts';
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
          return { dir, write: async (record) => written.get(dir)!.push(record), markDeleted: async () => undefined, close: async () => undefined };
        },
      },
      new Set(['1', '2']),
    );
    for (const car of ['1', '2', '3']) {
      recorder.handle(message(`car/${car}/telemetry`, { ...telemetry(true), ts: 1000 }), 1000);
      recorder.handle(message(`car/${car}/control`, { angle: 0.5, throttle: 0.25, ts: 1000 }), 1000);
      recorder.handle(message(`car/${car}/frame`, { width: 160, height: 120, format: 'jpeg', ts: 1020 }, jpegHeaderOnly(160, 120)), 1020);
    }
    await recorder.settled();
    expect([...written.keys()]).toEqual(['/data/tubs/2024-01-02_03-04-05_car1', '/data/tubs/2024-01-02_03-04-05_car2']);
    expect(written.get('/data/tubs/2024-01-02_03-04-05_car2')).toEqual([expect.objectContaining({ angle: 0.5, throttle: 0.25, timestampMs: 1020 })]);
    expect(recorder.totals()).toMatchObject({ recording: 2, records: 2, tubs: 2, errors: 0 });
    await recorder.close();
    expect(recorder.totals().recording).toBe(0);
  });
});

describe('Recorder pairing and expiry', () => {
  const recorderWith = (written: TubWriteRecord[]) =>
    new Recorder({
      tubsDir: '/data/tubs',
      exists: async () => false,
      prepareImage: async (frame) => frame.jpeg,
      openTub: async (dir) => ({ dir, write: async (record) => written.push(record), markDeleted: async () => undefined, close: async () => undefined }),
    });
  const frame = (ts: number) => message('car/1/frame', { width: 160, height: 120, format: 'jpeg', ts }, jpegHeaderOnly(160, 120));

  it('pairs by the NUC\'s receive time: a control stamped a day ahead does not stop the recording', async () => {
    const written: TubWriteRecord[] = [];
    const recorder = recorderWith(written);
    recorder.handle(message('car/1/telemetry', { ...telemetry(true), ts: 1 }), 10_000);
    recorder.handle(message('car/1/control', { angle: 0.1, throttle: 0.2, ts: 10_000 + 86_400_000 }), 10_000);
    recorder.handle(frame(1), 10_050);
    recorder.handle(message('car/1/control', { angle: 0.3, throttle: 0.4, ts: 5 }), 10_100);
    recorder.handle(frame(9_999_999_999), 10_150);
    await recorder.settled();
    expect(written.map((r) => [r.angle, r.throttle, r.timestampMs])).toEqual([
      [0.1, 0.2, 10_050],
      [0.3, 0.4, 10_150],
    ]);
    expect(recorder.totals().framesWithoutControl).toBe(0);
    await recorder.close();
  });

  it('closes and forgets the session of a car silent for longer than the expiry', async () => {
    const recorder = recorderWith([]);
    recorder.handle(message('car/1/telemetry', { ...telemetry(true), ts: 1 }), 1_000);
    await recorder.settled();
    expect(recorder.totals().recording).toBe(1);
    expect(await recorder.forgetSilent(2_000, 5_000)).toEqual([]);
    expect(await recorder.forgetSilent(7_000, 5_000)).toEqual(['1']);
    expect(recorder.reports()).toEqual([]);
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
