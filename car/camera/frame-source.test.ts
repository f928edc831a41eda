import { describe, expect, it } from 'vitest';
import { LatestFrameSlot, drainSlot, type CameraFrame } from './frame-source.ts';

const frame = (ts: number): CameraFrame => ({ jpeg: Buffer.from([ts]), width: 1, height: 1, ts });

describe('LatestFrameSlot', () => {
  it('gives a slow consumer the newest frame, not a backlog', async () => {
    const slot = new LatestFrameSlot();
    for (let ts = 1; ts <= 100; ts++) slot.put(frame(ts));
    expect((await slot.next())?.ts).toBe(100);
    expect(slot.superseded).toBe(99);
  });

  it('hands a frame straight to a waiting consumer', async () => {
    const slot = new LatestFrameSlot();
    const waiting = slot.next();
    slot.put(frame(7));
    expect((await waiting)?.ts).toBe(7);
  });

  it('ends a waiting consumer on end() or abort', async () => {
    const slot = new LatestFrameSlot();
    const waiting = slot.next();
    slot.end();
    await expect(waiting).resolves.toBeUndefined();
    slot.put(frame(1));
    await expect(slot.next()).resolves.toBeUndefined();

    const other = new LatestFrameSlot();
    const controller = new AbortController();
    const pending = other.next(controller.signal);
    controller.abort();
    await expect(pending).resolves.toBeUndefined();
  });

  it('iterates until the slot ends', async () => {
    const slot = new LatestFrameSlot();
    const seen: number[] = [];
    const done = (async () => {
      for await (const f of drainSlot(slot)) seen.push(f.ts);
    })();
    slot.put(frame(1));
    await Promise.resolve();
    await Promise.resolve();
    slot.put(frame(2));
    slot.end();
    await done;
    expect(seen.at(-1)).toBe(2);
  });
});
