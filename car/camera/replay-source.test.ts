import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSourceError, type CameraFrame, type SourceLogger } from './frame-source.ts';
import { ReplaySource } from './replay-source.ts';
import { sampleJpegs, type SampleJpeg } from '../../test/support/jpegs.ts';

let root: string;
let samples: SampleJpeg[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'replay-source-'));
  samples = (await sampleJpegs()).slice(0, 3);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function folderWith(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const folder = join(root, name);
  await mkdir(folder, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(folder, file), content);
  return folder;
}

async function take(source: ReplaySource, count: number): Promise<CameraFrame[]> {
  const out: CameraFrame[] = [];
  for await (const frame of source.frames()) {
    out.push(frame);
    if (out.length === count) break;
  }
  return out;
}

const indexOf = (frame: CameraFrame): number => samples.findIndex((s) => s.jpeg.equals(frame.jpeg));

function warnings(): SourceLogger & { messages: string[] } {
  const messages: string[] = [];
  return { messages, info() {}, error() {}, warn: (_obj, msg) => void messages.push(msg ?? '') };
}

describe('ReplaySource', () => {
  it('replays a folder of JPEGs in natural name order with their real sizes, then ends', async () => {
    const [a, b, c] = samples as [SampleJpeg, SampleJpeg, SampleJpeg];
    const path = await folderWith('plain', { '10.jpg': c.jpeg, '2.JPEG': b.jpeg, '1.jpg': a.jpeg, 'notes.txt': 'not an image' });
    const source = await ReplaySource.open({ path, fps: 200, loop: false, dropLate: false });
    expect(source.files).toEqual(['1.jpg', '2.JPEG', '10.jpg']);
    const frames = await take(source, 10);
    expect(frames.map(indexOf)).toEqual([0, 1, 2]);
    expect(frames.map((f) => [f.width, f.height])).toEqual(samples.map((s) => [s.width, s.height]));
  });

  it("reads a tub's images folder", async () => {
    const tub = await folderWith('tub', { 'manifest.json': '{}' });
    await folderWith('tub/images', { '1_cam_image_array_.jpg': samples[1]!.jpeg, '0_cam_image_array_.jpg': samples[0]!.jpeg });
    const source = await ReplaySource.open({ path: tub, fps: 200, loop: false, dropLate: false });
    expect(source.folder).toBe(join(tub, 'images'));
    expect((await take(source, 5)).map(indexOf)).toEqual([0, 1]);
  });

  it('loops when asked', async () => {
    const path = await folderWith('loop', { 'a.jpg': samples[0]!.jpeg, 'b.jpg': samples[1]!.jpeg });
    const source = await ReplaySource.open({ path, fps: 500, dropLate: false });
    expect((await take(source, 5)).map(indexOf)).toEqual([0, 1, 0, 1, 0]);
  });

  it('paces frames at the chosen rate', async () => {
    const path = await folderWith('paced', { 'a.jpg': samples[0]!.jpeg });
    const source = await ReplaySource.open({ path, fps: 50 });
    // frame n is due at start + n periods (drift-free): measured from the start, not from the first
    // frame, whose stamp a slow first read delays while the later ones keep the schedule
    const startedAt = Date.now();
    const frames = await take(source, 6);
    expect(frames.at(-1)!.ts - startedAt).toBeGreaterThanOrEqual(5 * 20 - 5);
  });

  it('skips images a slow consumer missed instead of queueing them', async () => {
    const files = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}.jpg`, samples[i % 3]!.jpeg]));
    const source = await ReplaySource.open({ path: await folderWith('slow', files), fps: 200 });
    let seen = 0;
    for await (const _frame of source.frames()) {
      await sleep(40);
      if (++seen === 4) break;
    }
    expect(source.stats.skippedLate).toBeGreaterThan(0);
  });

  it('skips a file that is not a JPEG with one warning', async () => {
    const log = warnings();
    const path = await folderWith('mixed', { '1.jpg': samples[0]!.jpeg, '2.jpg': 'garbage', '3.jpg': samples[2]!.jpeg });
    const source = await ReplaySource.open({ path, fps: 500, dropLate: false, log });
    expect((await take(source, 4)).map(indexOf)).toEqual([0, 2, 0, 2]);
    expect(log.messages).toEqual(['replay: skipping 2.jpg: not a complete JPEG']);
    expect(source.stats.unreadable).toBe(2);
  });

  it('fails clearly when no file holds a readable JPEG', async () => {
    const path = await folderWith('broken', { '1.jpg': 'x', '2.jpg': samples[0]!.jpeg.subarray(0, 50) });
    const source = await ReplaySource.open({ path, fps: 500 });
    await expect(take(source, 1)).rejects.toThrow(/no readable JPEG in .*broken/);
  });

  it('names what is wrong with the folder or rate', async () => {
    const empty = await folderWith('empty', { 'readme.md': 'hi' });
    await expect(ReplaySource.open({ path: empty, fps: 10 })).rejects.toThrow(CameraSourceError);
    await expect(ReplaySource.open({ path: empty, fps: 10 })).rejects.toThrow(/no JPEG files .* in .*empty/);
    await expect(ReplaySource.open({ path: join(root, 'nope'), fps: 10 })).rejects.toThrow(/replay path not found/);
    await expect(ReplaySource.open({ path: '', fps: 10 })).rejects.toThrow(/replay path is empty/);
    await expect(ReplaySource.open({ path: empty, fps: 0 })).rejects.toThrow(/fps/);
  });

  it('ends every iteration on close', async () => {
    const path = await folderWith('close', { 'a.jpg': samples[0]!.jpeg });
    const source = await ReplaySource.open({ path, fps: 2 });
    const all = take(source, 100);
    await sleep(50);
    await source.close();
    expect((await all).length).toBeLessThanOrEqual(1);
  });
});
