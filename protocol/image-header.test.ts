/** The header parse against real images (sharp-made) and against bytes crafted to mislead it. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegHeaderOnly, sampleJpegs } from '../test/support/jpegs.ts';
import { readImageHeader } from './image-header.ts';

const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 0, g: 255, b: 0 } } });

describe('readImageHeader', () => {
  it('reads the size of every sample JPEG, baseline, progressive and with an EXIF thumbnail first', async () => {
    for (const sample of await sampleJpegs()) {
      expect(readImageHeader(sample.jpeg)).toEqual({ format: 'jpeg', width: sample.width, height: sample.height });
    }
  });

  it('reads PNG and WebP (lossy, lossless, extended) sizes', async () => {
    expect(readImageHeader(await solid(300, 200).png().toBuffer())).toEqual({ format: 'png', width: 300, height: 200 });
    expect(readImageHeader(await solid(301, 203).webp().toBuffer())).toEqual({ format: 'webp', width: 301, height: 203 });
    expect(readImageHeader(await solid(17, 9).webp({ lossless: true }).toBuffer())).toEqual({ format: 'webp', width: 17, height: 9 });
    const withAlpha = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).webp().toBuffer();
    expect(readImageHeader(withAlpha)).toEqual({ format: 'webp', width: 40, height: 30 });
  });

  it('reads a bomb\'s announced size from its header alone', () => {
    expect(readImageHeader(jpegHeaderOnly(16000, 16000))).toEqual({ format: 'jpeg', width: 16000, height: 16000 });
  });

  it('answers undefined for anything else, and for headers cut short or looping', () => {
    expect(readImageHeader(Buffer.alloc(0))).toBeUndefined();
    expect(readImageHeader(Buffer.from('GIF89a......'))).toBeUndefined();
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined();
    expect(readImageHeader(jpegHeaderOnly(64, 48).subarray(0, 8))).toBeUndefined();
    // a segment length of 0 would never advance
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0xff, 0xc0]))).toBeUndefined();
    // scan data before any frame header
    expect(readImageHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6]))).toBeUndefined();
    expect(readImageHeader(jpegHeaderOnly(0, 48))).toBeUndefined();
  });
});
