import { beforeAll, describe, expect, it } from 'vitest';
import { MjpegSplitter, readJpegSize, type SplitJpeg } from './mjpeg-splitter.ts';
import { seededRandom } from '../../runtime/random.ts';
import { sampleJpegs, type SampleJpeg } from '../../test/support/jpegs.ts';

let samples: SampleJpeg[];
beforeAll(async () => {
  samples = await sampleJpegs();
});

/** Feeds `stream` cut at random byte boundaries (seeded): many tiny chunks, some big ones. */
function feedRandomly(splitter: MjpegSplitter, stream: Buffer, seed: number): SplitJpeg[] {
  const random = seededRandom(seed);
  const out: SplitJpeg[] = [];
  let at = 0;
  while (at < stream.length) {
    const r = random();
    const size = r < 0.4 ? 1 + Math.floor(random() * 4) : r < 0.8 ? 1 + Math.floor(random() * 600) : 1 + Math.floor(random() * 40_000);
    // A fresh buffer per chunk, as a pipe delivers them.
    out.push(...splitter.push(Buffer.from(stream.subarray(at, at + size))));
    at += size;
  }
  return out;
}

function expectSameFrames(got: SplitJpeg[], want: SampleJpeg[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((frame, i) => {
    const expected = want[i]!;
    expect(frame.jpeg.equals(expected.jpeg), `frame ${i} is byte-exact`).toBe(true);
    expect([frame.width, frame.height]).toEqual([expected.width, expected.height]);
  });
}

describe('MjpegSplitter', () => {
  it('recovers every JPEG byte-exact from a stream cut at random byte boundaries', () => {
    const frames = [...samples, ...samples, ...samples];
    const stream = Buffer.concat(frames.map((f) => f.jpeg));
    for (let seed = 1; seed <= 40; seed++) {
      const splitter = new MjpegSplitter();
      expectSameFrames(feedRandomly(splitter, stream, seed), frames);
      expect(splitter.stats.garbageBytes).toBe(0);
      expect(splitter.stats.dropped).toEqual({ oversized: 0, truncated: 0, garbled: 0 });
      expect(splitter.inFrame).toBe(false);
    }
  });

  it('recovers them when fed one byte at a time', () => {
    const stream = Buffer.concat(samples.map((f) => f.jpeg));
    const splitter = new MjpegSplitter();
    const got: SplitJpeg[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...splitter.push(stream.subarray(i, i + 1)));
    expectSameFrames(got, samples);
  });

  it('does not split at the EOI of an EXIF thumbnail embedded in APP1', () => {
    const withThumbnail = samples.find((s) => s.width === 96)!;
    const splitter = new MjpegSplitter();
    const got = splitter.push(withThumbnail.jpeg);
    expectSameFrames(got, [withThumbnail]);
  });

  it('resyncs on garbage between frames, including false starts', () => {
    const random = seededRandom(99);
    const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 255))); // never 0xFF
    const falseStarts = [
      Buffer.from([0xff, 0xd8, 0xff, 0xd9]), // SOI EOI with no image
      Buffer.from([0xff, 0xd8, 0x12, 0x34]), // SOI then no marker
      Buffer.from([0xff, 0xff, 0xff]),
      Buffer.from('libcamera: frame dropped\n'),
    ];
    const parts: Buffer[] = [noise(37)];
    samples.forEach((sample, i) => {
      parts.push(sample.jpeg, noise(1 + (i * 13) % 50), falseStarts[i % falseStarts.length]!);
    });
    const stream = Buffer.concat(parts);
    for (let seed = 1; seed <= 10; seed++) {
      const splitter = new MjpegSplitter();
      expectSameFrames(feedRandomly(splitter, stream, seed), samples);
      expect(splitter.stats.garbageBytes).toBeGreaterThan(0);
      expect(splitter.stats.dropped.garbled).toBeGreaterThan(0);
    }
  });

  it('drops a frame cut short by the next SOI and keeps the next one', () => {
    const [a, b, c] = samples as [SampleJpeg, SampleJpeg, SampleJpeg];
    const stream = Buffer.concat([a.jpeg, b.jpeg.subarray(0, Math.floor(b.jpeg.length / 2)), c.jpeg]);
    const splitter = new MjpegSplitter();
    expectSameFrames(feedRandomly(splitter, stream, 5), [a, c]);
    expect(splitter.stats.dropped.truncated).toBe(1);
  });

  it('counts a truncated last frame when the stream ends', () => {
    const [a, b] = samples as [SampleJpeg, SampleJpeg];
    const splitter = new MjpegSplitter();
    const got = feedRandomly(splitter, Buffer.concat([a.jpeg, b.jpeg.subarray(0, b.jpeg.length - 3)]), 7);
    expectSameFrames(got, [a]);
    expect(splitter.inFrame).toBe(true);
    splitter.end();
    expect(splitter.stats.dropped.truncated).toBe(1);
    // The next stream (a restarted camera) starts clean.
    expectSameFrames(splitter.push(b.jpeg), [b]);
  });

  it('drops a frame bigger than the cap and recovers the smaller ones after it', () => {
    const big = samples.reduce((x, y) => (y.jpeg.length > x.jpeg.length ? y : x));
    const small = samples.filter((s) => s.jpeg.length < 10_000);
    const splitter = new MjpegSplitter({ maxFrameBytes: 10_000 });
    const got = feedRandomly(splitter, Buffer.concat([big.jpeg, ...small.map((s) => s.jpeg), big.jpeg]), 3);
    expectSameFrames(got, small);
    expect(splitter.stats.dropped.oversized).toBe(2);
  });

  it('never throws on random bytes', () => {
    const random = seededRandom(1234);
    const junk = Buffer.from(Array.from({ length: 200_000 }, () => (random() < 0.2 ? 0xff : Math.floor(random() * 256))));
    const splitter = new MjpegSplitter({ maxFrameBytes: 4096 });
    expect(() => feedRandomly(splitter, junk, 1)).not.toThrow();
    // Junk can open a fake segment that swallows up to the frame cap; past that, frames come through.
    const sample = samples[0]!;
    const after = [1, 2, 3].flatMap(() => splitter.push(sample.jpeg));
    expect(after.length).toBeGreaterThanOrEqual(1);
    for (const frame of after) expect(frame.jpeg.equals(sample.jpeg)).toBe(true);
  });

  it('rejects a nonsensical frame cap', () => {
    expect(() => new MjpegSplitter({ maxFrameBytes: 0 })).toThrow(/maxFrameBytes/);
  });
});

describe('readJpegSize', () => {
  it('reads width and height from the SOF marker, not from an EXIF thumbnail', () => {
    for (const sample of samples) expect(readJpegSize(sample.jpeg)).toEqual({ width: sample.width, height: sample.height });
  });

  it('returns undefined for something that is not a JPEG', () => {
    expect(readJpegSize(Buffer.from('not a jpeg'))).toBeUndefined();
    expect(readJpegSize(samples[0]!.jpeg.subarray(0, 100))).toBeUndefined();
  });
});
