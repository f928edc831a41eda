/** Test support: real JPEGs made with sharp, for the camera's splitter and sources. */
import sharp from 'sharp';
import { seededRandom } from '../../runtime/random.ts';

export interface JpegOptions {
  width: number;
  height: number;
  seed?: number;
  quality?: number;
  progressive?: boolean;
}

/** A noisy RGB image (noise makes the entropy-coded data full of stuffed 0xFF 0x00 pairs). */
export async function makeJpeg(options: JpegOptions): Promise<Buffer> {
  const { width, height } = options;
  const random = seededRandom(options.seed ?? 1);
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: options.quality ?? 80, progressive: options.progressive ?? false })
    .toBuffer();
}

/**
 * Inserts an EXIF APP1 segment right after the SOI whose IFD1 embeds `thumbnail`: a whole JPEG,
 * SOI to EOI, inside the headers of the outer one (as many cameras write them).
 */
export function withExifThumbnail(jpeg: Buffer, thumbnail: Buffer): Buffer {
  const ifd0 = 8;
  const ifd1 = ifd0 + 2 + 12 + 4;
  const thumbAt = ifd1 + 2 + 2 * 12 + 4;
  const tiff = Buffer.alloc(thumbAt + thumbnail.length);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(ifd0, 4);
  // IFD0: Orientation = 1, then the offset of IFD1
  tiff.writeUInt16LE(1, ifd0);
  writeEntry(tiff, ifd0 + 2, 0x0112, 3, 1);
  tiff.writeUInt32LE(ifd1, ifd0 + 2 + 12);
  // IFD1: JPEGInterchangeFormat (offset) and JPEGInterchangeFormatLength
  tiff.writeUInt16LE(2, ifd1);
  writeEntry(tiff, ifd1 + 2, 0x0201, 4, thumbAt);
  writeEntry(tiff, ifd1 + 2 + 12, 0x0202, 4, thumbnail.length);
  tiff.writeUInt32LE(0, ifd1 + 2 + 24);
  thumbnail.copy(tiff, thumbAt);

  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  if (payload.length + 2 > 0xffff) throw new Error('thumbnail too big for one APP1 segment');
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

function writeEntry(tiff: Buffer, at: number, tag: number, type: 3 | 4, value: number): void {
  tiff.writeUInt16LE(tag, at);
  tiff.writeUInt16LE(type, at + 2);
  tiff.writeUInt32LE(1, at + 4);
  if (type === 3) tiff.writeUInt16LE(value, at + 8);
  else tiff.writeUInt32LE(value, at + 8);
}

export interface SampleJpeg {
  jpeg: Buffer;
  width: number;
  height: number;
}

/** A varied set: sizes, qualities, a progressive one (tables between scans) and one with an EXIF thumbnail. */
export async function sampleJpegs(): Promise<SampleJpeg[]> {
  const specs: JpegOptions[] = [
    { width: 64, height: 48, seed: 1 },
    { width: 160, height: 120, seed: 2, quality: 95 },
    { width: 33, height: 17, seed: 3, quality: 20 },
    { width: 320, height: 240, seed: 4 },
    { width: 120, height: 90, seed: 5, progressive: true },
    { width: 8, height: 8, seed: 6 },
    { width: 200, height: 100, seed: 7, quality: 60 },
  ];
  const out: SampleJpeg[] = [];
  for (const spec of specs) out.push({ jpeg: await makeJpeg(spec), width: spec.width, height: spec.height });
  const thumbnail = await makeJpeg({ width: 40, height: 30, seed: 8 });
  const main = await makeJpeg({ width: 96, height: 72, seed: 9 });
  out.splice(3, 0, { jpeg: withExifThumbnail(main, thumbnail), width: 96, height: 72 });
  return out;
}

/**
 * The smallest byte string that announces a JPEG of `width × height`: SOI, a baseline SOF0 and EOI,
 * no image data. What the bus checks reads (and what an image bomb can look like); no decoder takes it.
 */
export function jpegHeaderOnly(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]);
}

/** A `bytes`-long payload the bus takes as a `width × height` JPEG: its header, filler, EOI (for sizes and rates, not pictures). */
export function paddedJpeg(width: number, height: number, bytes: number): Buffer {
  const header = jpegHeaderOnly(width, height);
  if (bytes < header.length) throw new RangeError(`a JPEG header alone is ${header.length} bytes`);
  return Buffer.concat([header.subarray(0, -2), Buffer.alloc(bytes - header.length, 0x5a), header.subarray(-2)]);
}
