/** Packed 8-bit RGB images, and fitting any picture to a pannable background of the frame's height. */
import sharp from 'sharp';

/** Packed RGB, 3 bytes per pixel, row after row; `data.length === width * height * 3`. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
}

export function isRawImage(image: RawImage): boolean {
  return (
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    image.data.length === image.width * image.height * 3
  );
}

/** The largest picture fitBackground decodes: an upload may be at most 8192 on a side. */
export const MAX_BACKGROUND_PIXELS = 8192 * 8192;

/**
 * Scales a picture (encoded bytes or raw RGB) to exactly `frameHeight` rows and at least `frameWidth`
 * columns, keeping its aspect ratio (a picture narrower than the frame is cropped top and bottom).
 * Transparency is flattened onto black and the result is sRGB.
 */
export async function fitBackground(input: Buffer | RawImage, frameWidth: number, frameHeight: number, maxPixels = MAX_BACKGROUND_PIXELS): Promise<RawImage> {
  const source = Buffer.isBuffer(input)
    ? sharp(input, { failOn: 'error', limitInputPixels: maxPixels })
    : sharp(input.data, { raw: { width: input.width, height: input.height, channels: 3 } });
  const meta = await source.metadata();
  // EXIF-rotated pictures swap their sides once rotated upright.
  const turned = (meta.orientation ?? 1) >= 5;
  const width = (turned ? meta.height : meta.width) ?? 0;
  const height = (turned ? meta.width : meta.height) ?? 0;
  if (width <= 0 || height <= 0) throw new RangeError('the picture has no size');
  const targetWidth = Math.max(frameWidth, Math.round((width * frameHeight) / height));
  const { data, info } = await source
    .rotate()
    .flatten({ background: '#000000' })
    .toColourspace('srgb')
    .resize(targetWidth, frameHeight, { fit: 'cover' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new RangeError(`expected 3 channels after conversion, got ${info.channels}`);
  return { width: info.width, height: info.height, data };
}
