import { describe, expect, it } from 'vitest';
import { VideoHub, type VideoFrameHeader } from './video-hub.ts';
import { busMessage } from '../../test/support/server-feed.ts';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';

const frame = (seq: number, car = '1') => busMessage<'frame'>(`car/${car}/frame`, { ts: 1000 + seq, width: 4, height: 3, format: 'jpeg' }, jpegHeaderOnly(4, 3), seq);
const view = (seq: number) =>
  busMessage<'view'>('car/1/view', { width: 8, height: 6, format: 'jpeg', frameSeq: seq, frameTs: 500 + seq, compositeMs: 3, angle: 0 }, jpegHeaderOnly(8, 6), seq);

function recorder() {
  const received: VideoFrameHeader[] = [];
  const pending: (() => void)[] = [];
  return {
    received,
    ackOldest: () => pending.shift()?.(),
    client: { send: (header: VideoFrameHeader, _jpeg: Buffer, done: () => void) => (received.push(header), pending.push(done)) },
  };
}

describe('VideoHub', () => {
  it('sends a slow client only the newest frame once it acknowledges, counting the ones it skipped', () => {
    const hub = new VideoHub({ now: () => 5000 });
    const slow = recorder();
    hub.watch('1', slow.client);
    for (let seq = 0; seq < 5; seq++) hub.ingest(frame(seq));
    expect(slow.received.map((h) => h.seq)).toEqual([0]);
    slow.ackOldest();
    expect(slow.received.map((h) => h.seq)).toEqual([0, 4]);
    expect(hub.stats.dropped).toBe(3);
    expect(slow.received[1]).toMatchObject({ car: '1', frameTs: 1004, serverTs: 5000, source: 'frame' });
  });

  it('gives a new watcher the latest frame at once and only its own car', () => {
    const hub = new VideoHub();
    hub.ingest(frame(7, '2'));
    hub.ingest(frame(3, '1'));
    const watcher = recorder();
    hub.watch('2', watcher.client);
    hub.ingest(frame(4, '1'));
    expect(watcher.received.map((h) => [h.car, h.seq])).toEqual([['2', 7]]);
  });

  it('prefers the composited view and falls back to camera frames when views stop', () => {
    let now = 0;
    const hub = new VideoHub({ now: () => now, viewFreshMs: 1000 });
    const watcher = recorder();
    hub.watch('1', watcher.client);
    hub.ingest(view(1));
    watcher.ackOldest();
    hub.ingest(frame(2));
    expect(watcher.received.map((h) => h.source)).toEqual(['view']);
    now = 2000;
    hub.ingest(frame(3));
    expect(watcher.received.map((h) => h.source)).toEqual(['view', 'frame']);
    expect(watcher.received[0]).toMatchObject({ frameTs: 501, width: 8, compositeMs: 3 });
  });

  it('stops sending after the watcher leaves', () => {
    const hub = new VideoHub();
    const watcher = recorder();
    const stop = hub.watch('1', watcher.client);
    hub.ingest(frame(1));
    stop();
    watcher.ackOldest();
    hub.ingest(frame(2));
    expect(watcher.received).toHaveLength(1);
    expect(hub.watcherCount()).toBe(0);
  });

  it('sends a raw watcher only camera frames, even while views arrive, and names only composited watchers\' cars for the compositor', () => {
    const hub = new VideoHub({ now: () => 5000 });
    const gpu = recorder();
    const server = recorder();
    const stopGpu = hub.watch('1', gpu.client, 'raw');
    hub.watch('2', recorder().client, 'raw');
    expect(hub.composedCars()).toEqual([]);
    hub.watch('1', server.client, 'composited');
    expect(hub.composedCars()).toEqual(['1']);
    hub.ingest(view(1));
    hub.ingest(frame(2));
    gpu.ackOldest();
    server.ackOldest();
    hub.ingest(frame(3));
    expect(gpu.received.map((h) => [h.source, h.seq])).toEqual([['frame', 2], ['frame', 3]]);
    expect(server.received.map((h) => h.source)).toEqual(['view']);
    stopGpu();
    expect(hub.composedCars()).toEqual(['1']);
  });
});
