/** Frames and views on the bus: the payload must be a JPEG of the header's size (and a frame, of the camera's). */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegHeaderOnly, makeJpeg } from '../test/support/jpegs.ts';
import { decode, encode, type DecodeLimits } from './codec.ts';

const limits: DecodeLimits = { maxPayloadBytes: 8 << 20, maxHeaderBytes: 65536, cameraSize: { width: 64, height: 48 } };
const frame = (width: number, height: number, payload: Buffer) => encode<'frame'>('car/1/frame', 0, { width, height, format: 'jpeg' }, payload);

describe('frame payload check', () => {
  it('takes a real JPEG of the header\'s and the camera\'s size', async () => {
    const decoded = decode(frame(64, 48, await makeJpeg({ width: 64, height: 48 })), limits);
    expect(decoded.ok).toBe(true);
  });

  it('drops a frame whose JPEG is not the size its header says, as frame_size_mismatch', async () => {
    const decoded = decode(frame(64, 48, await makeJpeg({ width: 64, height: 49 })), limits);
    expect(decoded).toMatchObject({ ok: false, reason: 'frame_size_mismatch' });
    if (!decoded.ok) expect(decoded.detail).toContain('payload is 64x49, the header says 64x48');
  });

  it('drops a frame of another size than the cars\' camera, even when its header is honest', async () => {
    const decoded = decode(frame(640, 481, await makeJpeg({ width: 640, height: 481 })), limits);
    expect(decoded).toMatchObject({ ok: false, reason: 'frame_size_mismatch' });
    if (!decoded.ok) expect(decoded.detail).toContain("the cars' camera is 64x48");
  });

  it('drops a PNG, or bytes that are no image, as frame_format', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: 'red' } }).png().toBuffer();
    expect(decode(frame(64, 48, png), limits)).toMatchObject({ ok: false, reason: 'frame_format' });
    expect(decode(frame(64, 48, Buffer.from('not an image')), limits)).toMatchObject({ ok: false, reason: 'frame_format' });
  });

  it('drops a 16000x16000 bomb declared as a camera frame without decoding it', () => {
    const decoded = decode(frame(64, 48, jpegHeaderOnly(16000, 16000)), limits);
    expect(decoded).toMatchObject({ ok: false, reason: 'frame_size_mismatch' });
  });

  it('checks a composited view against its own header (views need not be the camera size)', () => {
    const view = (w: number, h: number, payload: Buffer) =>
      encode<'view'>('car/1/view', 0, { width: w, height: h, format: 'jpeg', frameSeq: 0, frameTs: 0, compositeMs: 1, angle: 0 }, payload);
    expect(decode(view(320, 240, jpegHeaderOnly(320, 240)), limits).ok).toBe(true);
    expect(decode(view(320, 240, jpegHeaderOnly(320, 241)), limits)).toMatchObject({ ok: false, reason: 'frame_size_mismatch' });
  });
});
