/**
 * Frame → model input, the one preprocessing that training, evaluation and the pilot share: the
 * frame at the model's frame size (decoded and resized from an image, or raw RGB from the renderer),
 * its crop rows removed, every byte scaled by the model's normalisation. A model's metadata records
 * the three, so the car feeds a model exactly what it was trained on.
 */
import sharp from 'sharp';

/** Rows removed before the model sees a frame (Donkeycar's ROI crop). */
export interface Crop {
  top: number;
  bottom: number;
}

export const NO_CROP: Crop = { top: 0, bottom: 0 };

/** input = pixel · scale + offset */
export interface Normalization {
  scale: number;
  offset: number;
}

/** Bytes to [0, 1], what the trainer saves in every model's metadata. */
export const PIXEL_NORMALIZATION: Normalization = { scale: 1 / 255, offset: 0 };

/** What a model takes from a frame (a model's metadata has all three). */
export interface InputSpec {
  /** [height, width] frames are resized to before the crop */
  frameSize: [number, number];
  crop?: Crop;
  normalization?: Normalization;
}

/** [height, width, channels] after the crop; throws when the crop does not leave rows of the frame. */
export function croppedShape(frameSize: [number, number], crop: Crop = NO_CROP): [number, number, number] {
  const [height, width] = frameSize;
  if (!Number.isInteger(crop.top) || !Number.isInteger(crop.bottom) || crop.top < 0 || crop.bottom < 0 || crop.top + crop.bottom >= height) {
    throw new Error(`crop {top: ${crop.top}, bottom: ${crop.bottom}} must be non-negative integers leaving rows of a ${height}-row frame`);
  }
  return [height - crop.top - crop.bottom, width, 3];
}

/** Raw RGB (height × width × 3 bytes, at `frameSize`) → the model's input pixels. */
export function frameToInput(raw: Uint8Array, frameSize: [number, number], crop: Crop = NO_CROP, normalization: Normalization = PIXEL_NORMALIZATION): Float32Array {
  const [outHeight, width] = croppedShape(frameSize, crop);
  const out = new Float32Array(outHeight * width * 3);
  frameToInputInto(raw, frameSize, crop, normalization, out, 0);
  return out;
}

/** As frameToInput, written into `out` at `offset` (a batch's buffer): no allocation per frame. */
export function frameToInputInto(raw: Uint8Array, frameSize: [number, number], crop: Crop, normalization: Normalization, out: Float32Array, offset: number): void {
  const [height, width] = frameSize;
  if (raw.length !== height * width * 3) throw new Error(`frame has ${raw.length} bytes, expected ${height}x${width}x3 = ${height * width * 3}`);
  const [outHeight] = croppedShape(frameSize, crop);
  const start = crop.top * width * 3;
  const length = outHeight * width * 3;
  if (offset + length > out.length) throw new Error(`the input buffer has room for ${out.length - offset} values at ${offset}, the frame needs ${length}`);
  const { scale, offset: shift } = normalization;
  for (let i = 0; i < length; i++) out[offset + i] = raw[start + i]! * scale + shift;
}

/** An encoded frame (JPEG, PNG) decoded to RGB bytes at `frameSize` ([height, width]): what frameToInput takes. */
export async function decodeFrameRgb(image: Buffer, frameSize: [number, number]): Promise<Buffer> {
  const [height, width] = frameSize;
  try {
    return await sharp(image, { limitInputPixels: MAX_IMAGE_PIXELS }).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'fill' }).raw().toBuffer();
  } catch (error) {
    throw new Error(`cannot decode frame image (${image.length} bytes): ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The most pixels an image from outside may have before a decoder sees it: the largest camera the
 * configuration allows (4096×4096). libvips refuses a bigger one from its header, before decoding.
 */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

/** An encoded frame (JPEG, PNG) → the model's input pixels: decoded to RGB, resized to `frameSize`, then `frameToInput`. */
export async function decodeFrame(image: Buffer, frameSize: [number, number], crop: Crop = NO_CROP, normalization: Normalization = PIXEL_NORMALIZATION): Promise<Float32Array> {
  return frameToInput(await decodeFrameRgb(image, frameSize), frameSize, crop, normalization);
}
