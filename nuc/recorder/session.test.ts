import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeTubFileSystem, readTub, TubWriter, type TubFileSystem, type TubWriteRecord } from '../../tub/index.ts';
import { EXTRA_INPUTS, RecordingSession, type RecordingSessionOptions, type TubSink } from './session.ts';

const nodeTubFileSystem = createNodeTubFileSystem({ fsync: false });

const START = new Date(2024, 4, 17, 10, 30, 5);
const jpeg = (n: number) => Buffer.from([0xff, 0xd8, n, 0xff, 0xd9]);
const frame = (seq: number, ts: number) => ({ seq, ts, width: 160, height: 120, jpeg: jpeg(seq) });

/** A tub that keeps records in memory. */
class MemoryTub implements TubSink {
  readonly records: TubWriteRecord[] = [];
  closed = false;
  constructor(readonly dir: string) {}
  readonly deleted = new Set<number>();
  async write(record: TubWriteRecord): Promise<number> {
    this.records.push(record);
    return this.records.length - 1;
  }
  async markDeleted(indexes: Iterable<number>): Promise<void> {
    for (const index of indexes) this.deleted.add(index);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function memorySession(options: Partial<RecordingSessionOptions> = {}) {
  const tubs: MemoryTub[] = [];
  const session = new RecordingSession({
    carId: '1',
    tubsDir: '/data/tubs',
    now: () => START,
    exists: async (dir) => tubs.some((tub) => tub.dir === dir),
    openTub: async (dir) => {
      const tub = new MemoryTub(dir);
      tubs.push(tub);
      return tub;
    },
    ...options,
  });
  return { session, tubs };
}

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('RecordingSession', () => {
  it('pairs each frame with the control in effect when it was taken, and the car mode', async () => {
    const { session, tubs } = memorySession();
    session.onTelemetry({ mode: 'user', recording: true });
    session.onControl({ ts: 1000, angle: 0.1, throttle: 0.3 });
    session.onControl({ ts: 1040, angle: 0.2, throttle: 0.4 });
    session.onFrame(frame(1, 1030)); // control of 1000 in effect
    session.onControl({ ts: 1080, angle: 0.5, throttle: 0.6 });
    session.onFrame(frame(2, 1050)); // 1040, even though 1080 arrived first
    session.onTelemetry({ mode: 'local_angle', recording: true });
    session.onFrame(frame(3, 1100));
    session.onFrame(frame(4, 1600)); // newest control 520 ms old: not in effect, not recorded
    await session.settled();

    expect(tubs.map((tub) => tub.dir)).toEqual(['/data/tubs/2024-05-17_10-30-05_car1']);
    expect(tubs[0]!.records.map((r) => [r.timestampMs, r.angle, r.throttle, r.mode, r.extra?.['user/control_ts_ms'], r.extra?.['car/frame_seq']])).toEqual([
      [1030, 0.1, 0.3, 'user', 1000, 1],
      [1050, 0.2, 0.4, 'user', 1040, 2],
      [1100, 0.5, 0.6, 'local_angle', 1080, 3],
    ]);
    expect(session.counters).toMatchObject({ records: 3, framesWithoutControl: 1 });
  });

  it("follows the car's telemetry flag: one tub per session, nothing between sessions", async () => {
    const { session, tubs } = memorySession();
    session.onControl({ ts: 1000, angle: 0, throttle: 0.5 });
    session.onFrame(frame(1, 1010)); // not recording yet
    session.onTelemetry({ mode: 'user', recording: true });
    session.onFrame(frame(2, 1020));
    session.onTelemetry({ mode: 'user', recording: false });
    session.onFrame(frame(3, 1030));
    session.onTelemetry({ mode: 'user', recording: true });
    session.onFrame(frame(4, 1040));
    await session.settled();

    expect(tubs.map((tub) => [path.basename(tub.dir), tub.closed, tub.records.length])).toEqual([
      ['2024-05-17_10-30-05_car1', true, 1],
      ['2024-05-17_10-30-05_car1_2', false, 1],
    ]);
    expect(session.state).toEqual({ state: 'recording', tub: '/data/tubs/2024-05-17_10-30-05_car1_2' });
    await session.close();
    expect(tubs[1]!.closed).toBe(true);
    expect(session.state).toMatchObject({ state: 'idle', lastTub: '/data/tubs/2024-05-17_10-30-05_car1_2' });
  });

  it('uses the control flag only until telemetry reports recording', async () => {
    const { session, tubs } = memorySession();
    session.onControl({ ts: 1000, angle: 0, throttle: 0.5, recording: true });
    await session.settled();
    expect(session.state.state).toBe('recording');
    session.onTelemetry({ mode: 'user', recording: false });
    session.onControl({ ts: 1010, angle: 0, throttle: 0.5, recording: true }); // the car has not agreed
    await session.settled();
    expect(session.state.state).toBe('idle');
    expect(tubs).toHaveLength(1);
  });

  it('drops frames beyond the pending limit instead of queueing without bound', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { session } = memorySession({ maxPending: 2, prepareImage: async (f) => (await gate, f.jpeg) });
    session.onTelemetry({ mode: 'user', recording: true });
    session.onControl({ ts: 1000, angle: 0, throttle: 0.5 });
    for (let i = 0; i < 5; i++) session.onFrame(frame(i, 1001 + i));
    release();
    await session.settled();
    expect(session.counters).toMatchObject({ records: 2, framesDropped: 3 });
  });

  it('on a full disk stops recording with the error visible and leaves a closed, readable tub', async () => {
    const tubsDir = await mkdtemp(path.join(os.tmpdir(), 'edge-rec-'));
    temps.push(tubsDir);
    let images = 0;
    const fillsUp: TubFileSystem = {
      ...nodeTubFileSystem,
      async writeFile(file, data) {
        if (file.endsWith('.jpg') && ++images > 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return nodeTubFileSystem.writeFile(file, data);
      },
    };
    const { session } = memorySession({
      tubsDir,
      exists: undefined,
      openTub: (dir) => TubWriter.create(dir, { fs: fillsUp, extraInputs: EXTRA_INPUTS }),
    });
    session.onTelemetry({ mode: 'user', recording: true });
    for (let i = 0; i < 6; i++) {
      session.onControl({ ts: 1000 + i * 50, angle: i / 10, throttle: 0.5 });
      session.onFrame(frame(i, 1010 + i * 50));
    }
    await session.settled();

    const tub = path.join(tubsDir, '2024-05-17_10-30-05_car1');
    expect(session.state).toEqual({ state: 'failed', tub, error: expect.stringMatching(/^recording car 1 stopped: tub .*: record 3: cannot write the image: ENOSPC/) });
    expect(session.counters).toMatchObject({ records: 3, errors: 1 });
    // what the driver's screen shows
    expect(session.report()).toEqual({ car: '1', state: 'failed', tub: '2024-05-17_10-30-05_car1', records: 3, erased: 0, error: expect.stringContaining('ENOSPC') });
    const read = await readTub(tub);
    expect(read.issues).toEqual([]);
    expect(read.records.map((r) => r.angle)).toEqual([0, 0.1, 0.2]);
    expect(await readdir(path.join(tub, 'images'))).toHaveLength(3);
    // closed: the final manifest carries Donkeycar's session bookkeeping
    expect(read.manifest.manifestMetadata.sessions).toMatchObject({ last_id: 0 });

    // The error stays until recording is switched off; switching on again starts a new tub.
    session.onFrame(frame(9, 1400));
    session.onTelemetry({ mode: 'user', recording: false });
    await session.settled();
    expect(session.state).toMatchObject({ state: 'idle', lastTub: tub, lastError: expect.stringContaining('ENOSPC') });
  });

  it('reports a tub folder it cannot create (read-only data dir) as a failed session', async () => {
    const { session } = memorySession({
      openTub: async (dir) => {
        throw Object.assign(new Error(`EACCES: permission denied, mkdir '${dir}'`), { code: 'EACCES' });
      },
    });
    session.onTelemetry({ mode: 'user', recording: true });
    session.onControl({ ts: 1000, angle: 0, throttle: 0.5 });
    session.onFrame(frame(1, 1010));
    await session.settled();
    expect(session.state).toMatchObject({ state: 'failed', error: expect.stringContaining('EACCES') });
    expect(session.counters).toMatchObject({ records: 0, errors: 1 });
  });
});
