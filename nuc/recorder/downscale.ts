/**
 * Tub images are what the pilot trains on: Donkeycar's 160x120. A frame of that size or smaller is
 * stored as the camera sent it (no re-encoding loss); a bigger one is resized to exactly 160x120
 * (the whole field of view, as a camera set to 160x120 would give) and re-encoded.
 */
import sharp from 'sharp';

export const TUB_IMAGE_WIDTH = 160;
export const TUB_IMAGE_HEIGHT = 120;
const JPEG_QUALITY = 90;

export interface FrameImage {
  jpeg: Uint8Array;
  width: number;
  height: number;
}

export async function tubImage(frame: FrameImage): Promise<Uint8Array> {
  if (frame.width <= TUB_IMAGE_WIDTH && frame.height <= TUB_IMAGE_HEIGHT) return frame.jpeg;
  return sharp(frame.jpeg, { limitInputPixels: frame.width * frame.height }).resize(TUB_IMAGE_WIDTH, TUB_IMAGE_HEIGHT, { fit: 'fill' }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
}
