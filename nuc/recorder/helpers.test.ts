/** Donkeycar's recording helpers in a session: record only on throttle, and erase the last N seconds into deleted_indexes. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeTubFileSystem, readManifest, readTub, TubWriter, type TubWriteRecord } from '../../tub/index.ts';
import { RecentRecords } from './recent-records.ts';
import { EXTRA_INPUTS, RecordingSession, type TubSink } from './session.ts';

const START = new Date(2024, 4, 17, 10, 30, 5);
const jpeg = (n: number) => Buffer.from([0xff, 0xd8, n & 0xff, 0xff, 0xd9]);
const frame = (seq: number, ts: number) => ({ seq, ts, width: 160, height: 120, jpeg: jpeg(seq) });

class MemoryTub implements TubSink {
  readonly records: TubWriteRecord[] = [];
  readonly deleted = new Set<number>();
  constructor(readonly dir: string) {}
  async write(record: TubWriteRecord): Promise<number> {
    this.records.push(record);
    return this.records.length - 1;
  }
  async markDeleted(indexes: Iterable<number>): Promise<void> {
    for (const index of indexes) this.deleted.add(index);
  }
  async close(): Promise<void> {}
}

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function session(options: { onThrottle?: boolean; tubsDir?: string; real?: boolean } = {}) {
  const tubs: MemoryTub[] = [];
  const fs = createNodeTubFileSystem({ fsync: false });
  const recording = new RecordingSession({
    carId: '1',
    tubsDir: options.tubsDir ?? '/data/tubs',
    now: () => START,
    prepareImage: async (f) => f.jpeg,
    maxPending: 1000,
    ...(options.onThrottle ? { onThrottle: true } : {}),
    ...(options.real
      ? { openTub: (dir: string) => TubWriter.create(dir, { fs, extraInputs: EXTRA_INPUTS }) }
      : {
          exists: async (dir: string) => tubs.some((tub) => tub.dir === dir),
          openTub: async (dir: string) => {
            const tub = new MemoryTub(dir);
            tubs.push(tub);
            return tub;
          },
        }),
  });
  return { recording, tubs };
}

/** Drives at 10 frames a second from `fromMs` for `seconds`, throttle from `throttleAt`. */
function drive(recording: RecordingSession, fromMs: number, seconds: number, throttleAt: (ts: number) => number, seq = { n: 0 }): number {
  let ts = fromMs;
  for (; ts < fromMs + seconds * 1000; ts += 100) {
    recording.onControl({ ts, angle: 0, throttle: throttleAt(ts) });
    recording.onFrame(frame(seq.n++, ts + 10));
  }
  return ts;
}

describe('record only while throttle is applied (nuc.recorder.onThrottle)', () => {
  it('skips frames taken with the throttle at rest, and counts them', async () => {
    const { recording, tubs } = session({ onThrottle: true });
    recording.onTelemetry({ mode: 'user', recording: true });
    // 2 s stopped, 2 s driving, 1 s braked to a stop, 1 s reversing
    drive(recording, 0, 6, (ts) => (ts < 2000 ? 0 : ts < 4000 ? 0.4 : ts < 5000 ? 0 : -0.3));
    await recording.settled();
    expect(tubs).toHaveLength(1);
    expect(tubs[0]!.records).toHaveLength(30);
    expect(tubs[0]!.records.every((r) => r.throttle !== 0)).toBe(true);
    expect(recording.counters).toMatchObject({ records: 30, framesWithoutThrottle: 30 });
  });

  it('records every frame when it is off (the default)', async () => {
    const { recording, tubs } = session();
    recording.onTelemetry({ mode: 'user', recording: true });
    drive(recording, 0, 2, () => 0);
    await recording.settled();
    expect(tubs[0]!.records).toHaveLength(20);
  });
});

describe('erase the last N seconds', () => {
  it('while recording: marks the records of the last N seconds deleted through the open tub, and reaches further back each time', async () => {
    const { recording, tubs } = session();
    recording.onTelemetry({ mode: 'user', recording: true });
    drive(recording, 0, 10, () => 0.5); // records 0..99, frames at 10, 110, … 9910 ms
    const first = await recording.erase(2);
    // the newest record is at 9910 ms: 7910..9910 holds records 79..99
    expect(first).toEqual({ ok: true, tub: '2024-05-17_10-30-05_car1', from: 79, to: 99, records: 21 });
    expect([...tubs[0]!.deleted].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => 79 + i));
    const second = await recording.erase(1);
    expect(second).toMatchObject({ ok: true, from: 68, to: 78 });
    expect(recording.report()).toMatchObject({ records: 100, erased: 32 });
    expect(recording.counters).toMatchObject({ recordsErased: 32, erasesFailed: 0 });
  });

  it('waits for the frames already queued: an erase right after a frame covers it', async () => {
    const { recording, tubs } = session();
    recording.onTelemetry({ mode: 'user', recording: true });
    drive(recording, 0, 1, () => 0.5);
    const outcome = await recording.erase(1); // asked before any write finished
    expect(outcome).toMatchObject({ ok: true, from: 0, to: 9 });
    expect(tubs[0]!.deleted.size).toBe(10);
  });

  it('after recording stopped: writes deleted_indexes into the closed tub with the tub editor\'s delete range, as Donkeycar reads it', async () => {
    const tubsDir = await mkdtemp(path.join(os.tmpdir(), 'edge-erase-'));
    temps.push(tubsDir);
    const { recording } = session({ tubsDir, real: true });
    recording.onTelemetry({ mode: 'user', recording: true });
    drive(recording, 0, 3, () => 0.5); // records 0..29
    recording.onTelemetry({ mode: 'user', recording: false });
    await recording.settled();
    const outcome = await recording.erase(1);
    expect(outcome).toMatchObject({ ok: true, from: 19, to: 29, records: 11 });
    const tub = path.join(tubsDir, '2024-05-17_10-30-05_car1');
    const manifest = await readManifest(tub);
    expect(manifest.catalog.deleted_indexes).toEqual(Array.from({ length: 11 }, (_, i) => 19 + i));
    const read = await readTub(tub);
    expect(read.records.map((r) => r.index)).toEqual(Array.from({ length: 19 }, (_, i) => i));
  });

  it('while recording into a real tub: the manifest on disk carries the deleted indexes at once', async () => {
    const tubsDir = await mkdtemp(path.join(os.tmpdir(), 'edge-erase-'));
    temps.push(tubsDir);
    const { recording } = session({ tubsDir, real: true });
    recording.onTelemetry({ mode: 'user', recording: true });
    drive(recording, 0, 2, () => 0.5);
    expect(await recording.erase(1)).toMatchObject({ ok: true, from: 9, to: 19 });
    const manifest = await readManifest(path.join(tubsDir, '2024-05-17_10-30-05_car1'));
    expect(manifest.catalog.deleted_indexes).toEqual(Array.from({ length: 11 }, (_, i) => 9 + i));
    await recording.close();
  });

  it('is bounded: refuses a span outside 1..60 s and a car that recorded nothing, erasing nothing', async () => {
    const { recording, tubs } = session();
    expect(await recording.erase(5)).toEqual({ ok: false, error: 'car 1 has recorded nothing that can still be erased' });
    recording.onTelemetry({ mode: 'user', recording: true });
    drive(recording, 0, 1, () => 0.5);
    for (const seconds of [0, 61, 2.5, Number.NaN]) expect(await recording.erase(seconds)).toMatchObject({ ok: false, error: expect.stringMatching(/1\.\.60/) });
    expect(tubs[0]!.deleted.size).toBe(0);
    expect(recording.counters.erasesFailed).toBe(5);
  });
});

describe('RecentRecords', () => {
  it('keeps a minute behind the newest record and at most its capacity', () => {
    const recent = new RecentRecords(60_000, 100);
    for (let i = 0; i < 1000; i++) recent.add(i, i * 10);
    expect(recent.size).toBe(100);
    expect(recent.lastSeconds(60)).toEqual({ from: 900, to: 999, count: 100 });
    const slow = new RecentRecords(60_000, 100);
    for (let i = 0; i < 10; i++) slow.add(i, i * 20_000);
    expect(slow.lastSeconds(60)).toEqual({ from: 6, to: 9, count: 4 });
    slow.clear();
    expect(slow.lastSeconds(5)).toBeUndefined();
  });
});
