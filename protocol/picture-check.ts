/**
 * A frame's or view's payload must be what its header says: a JPEG of exactly that width and height,
 * and a camera frame also of the cars' configured camera size. Checked from the image's own header,
 * before anything decodes it.
 */
import { readImageHeader } from './image-header.ts';
import type { MessageKind } from './topics.ts';

export interface PictureRefusal {
  reason: 'frame_format' | 'frame_size_mismatch';
  detail: string;
}

export function checkPicture(
  kind: MessageKind,
  declared: { width: number; height: number },
  payload: Uint8Array,
  cameraSize: { width: number; height: number } | undefined,
): PictureRefusal | undefined {
  const image = readImageHeader(payload);
  if (!image) return { reason: 'frame_format', detail: 'payload is not a JPEG (no frame header found)' };
  if (image.format !== 'jpeg') return { reason: 'frame_format', detail: `payload is ${image.format}, not JPEG` };
  if (image.width !== declared.width || image.height !== declared.height) {
    return { reason: 'frame_size_mismatch', detail: `payload is ${image.width}x${image.height}, the header says ${declared.width}x${declared.height}` };
  }
  if (kind === 'frame' && cameraSize && (image.width !== cameraSize.width || image.height !== cameraSize.height)) {
    return { reason: 'frame_size_mismatch', detail: `frame is ${image.width}x${image.height}, the cars' camera is ${cameraSize.width}x${cameraSize.height}` };
  }
  return undefined;
}
