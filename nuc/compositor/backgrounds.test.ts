import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';
import { paintBackground } from './background-art.ts';
import { BackgroundLibrary, type BackgroundErrorReason } from './backgrounds.ts';

// A small frame keeps the painted built-ins quick to make.
const FRAME = { frameWidth: 160, frameHeight: 120 };

function picture(width: number, height: number, format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png'): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 30 } } });
  return image.toFormat(format).toBuffer();
}

describe('background library', () => {
  let dir: string;
  let library: BackgroundLibrary;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'backgrounds-'));
    library = new BackgroundLibrary({ dir: path.join(dir, 'backgrounds'), ...FRAME });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function rejection(promise: Promise<unknown>): Promise<{ reason: BackgroundErrorReason; message: string }> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'expected a BackgroundError').toMatchObject({ name: 'BackgroundError' });
    return error as { reason: BackgroundErrorReason; message: string };
  }

  it('paints the built-in backgrounds on first use, wide enough to pan', async () => {
    const list = await library.list();
    expect(list.map((b) => b.name)).toEqual(['mountains', 'neon-grid', 'stadium']);
    for (const info of list) expect(info).toMatchObject({ width: 480, height: 120, builtIn: true });
    const image = await library.load('stadium');
    expect([image.width, image.height, image.data.length]).toEqual([480, 120, 480 * 120 * 3]);
  });

  it('paints the same pictures every time', () => {
    for (const name of ['mountains', 'neon-grid', 'stadium'] as const) {
      expect(paintBackground(name, 300, 100).data.equals(paintBackground(name, 300, 100).data), name).toBe(true);
    }
  });

  it('stores a good upload normalised to the frame height', async () => {
    const info = await library.add('my-track', await picture(800, 300, 'webp'));
    expect(info).toMatchObject({ name: 'my-track', width: 320, height: 120, builtIn: false });
    expect((await library.list()).map((b) => b.name)).toContain('my-track');
    const image = await library.load('my-track');
    expect([image.width, image.height]).toEqual([320, 120]);
    const [r, g, b] = image.data;
    for (const [got, want] of [[r, 200], [g, 90], [b, 30]] as const) expect(Math.abs(got! - want)).toBeLessThanOrEqual(10);
    // The atomic write leaves no temporary files behind.
    expect((await readdir(library.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects bytes that are not an image', async () => {
    const error = await rejection(library.add('notes', Buffer.from('hello, this is text')));
    expect(error.reason).toBe('not-an-image');
    expect((await rejection(library.add('anim', await picture(200, 200, 'gif')))).reason).toBe('not-an-image');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="999" height="999"/>');
    expect((await rejection(library.add('vector', svg))).reason).toBe('not-an-image');
    expect((await rejection(library.add('empty', Buffer.alloc(0)))).reason).toBe('empty');
  });

  it('rejects a damaged image that only looks like one', async () => {
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    expect((await rejection(library.add('broken', fake))).reason).toBe('corrupt-image');
  });

  it('rejects an upload over the byte limit', async () => {
    const small = new BackgroundLibrary({ dir: library.dir, ...FRAME, maxBytes: 1000 });
    const noise = Buffer.from(Array.from({ length: 400 * 200 * 3 }, (_, i) => (i * 7919) % 251));
    const bytes = await sharp(noise, { raw: { width: 400, height: 200, channels: 3 } }).png().toBuffer();
    expect(bytes.length).toBeGreaterThan(1000);
    const error = await rejection(small.add('noisy', bytes));
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/1000/);
  });

  it('rejects images smaller than the frame or larger than the dimension limit', async () => {
    const tooSmall = await rejection(library.add('tiny', await picture(100, 200)));
    expect(tooSmall.reason).toBe('too-small');
    expect(tooSmall.message).toMatch(/100x200.*160x120/);
    const limited = new BackgroundLibrary({ dir: library.dir, ...FRAME, maxDimension: 1000 });
    expect((await rejection(limited.add('huge', await picture(1200, 200)))).reason).toBe('dimensions-too-large');
    expect(await readdir(library.dir).catch(() => [])).not.toContain('tiny.jpg');
  });

  it('refuses a 16000x16000 bomb from its header, before libvips sees it', async () => {
    const bomb = await rejection(library.add('bomb', jpegHeaderOnly(16000, 16000)));
    expect([bomb.reason, bomb.message]).toEqual(['dimensions-too-large', 'the image is 16000x16000; neither side may exceed 8192']);
  });

  it('guards names, built-ins and existing uploads', async () => {
    const good = await picture(400, 200, 'jpeg');
    expect((await rejection(library.add('../escape', good))).reason).toBe('invalid-name');
    expect((await rejection(library.add('stadium', good))).reason).toBe('built-in');
    await library.add('mine', good);
    expect((await rejection(library.add('mine', good))).reason).toBe('exists');
    await expect(library.add('mine', await picture(640, 120), { replace: true })).resolves.toMatchObject({ width: 640 });
    expect((await rejection(library.load('nothing-here'))).reason).toBe('not-found');
    await library.remove('mine');
    expect((await rejection(library.load('mine'))).reason).toBe('not-found');
    expect((await rejection(library.remove('mountains'))).reason).toBe('built-in');
  });
});
