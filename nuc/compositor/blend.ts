/** The per-frame hot loop: key the camera frame and blend it over a window of the background. */
import type { KeyTable } from './keying.ts';

export interface BlendInput {
  /** camera frame, packed RGB, `width × height` */
  frame: Uint8Array;
  width: number;
  height: number;
  /** background, packed RGB, `backgroundWidth × height` */
  background: Uint8Array;
  backgroundWidth: number;
  /** first background column of the visible window */
  offsetX: number;
  table: KeyTable;
}

/** Writes `width × height` RGB pixels into `out`. */
export function blendOver(input: BlendInput, out: Uint8Array): void {
  const { width, height, backgroundWidth, offsetX, table } = input;
  // Plain Uint8Array views: mixing Buffer and Uint8Array element reads makes V8's access sites
  // polymorphic, which costs a few milliseconds a frame here.
  const frame = plain(input.frame);
  const background = plain(input.background);
  const target = plain(out);
  if (offsetX < 0 || offsetX + width > backgroundWidth) {
    throw new RangeError(`background window ${offsetX}..${offsetX + width} lies outside 0..${backgroundWidth}`);
  }
  const lut = table.alpha;
  const spill = table.spill256;
  const rowBytes = width * 3;
  let o = 0;
  for (let y = 0; y < height; y++) {
    let q = (y * backgroundWidth + offsetX) * 3;
    const rowEnd = o + rowBytes;
    for (; o < rowEnd; o += 3, q += 3) {
      const r = frame[o]!;
      let g = frame[o + 1]!;
      const b = frame[o + 2]!;
      // Same expression as keyIndex(), inlined: this runs 300k times a frame.
      const a = lut[((r >> 2) << 12) | ((g >> 2) << 6) | (b >> 2)]!;
      if (a === 0) {
        target[o] = background[q]!;
        target[o + 1] = background[q + 1]!;
        target[o + 2] = background[q + 2]!;
        continue;
      }
      if (spill !== 0) {
        const m = r > b ? r : b;
        if (g > m) g -= ((g - m) * spill) >> 8;
      }
      if (a === 255) {
        target[o] = r;
        target[o + 1] = g;
        target[o + 2] = b;
        continue;
      }
      const ia = 255 - a;
      target[o] = div255(r * a + background[q]! * ia);
      target[o + 1] = div255(g * a + background[q + 1]! * ia);
      target[o + 2] = div255(b * a + background[q + 2]! * ia);
    }
  }
}

/** Rounded x / 255 for 0 ≤ x ≤ 255², without a division. */
function div255(x: number): number {
  const t = x + 128;
  return (t + (t >> 8)) >> 8;
}

function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
