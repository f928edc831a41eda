/** Optional looks for the driver's screen, applied in place to packed RGB pixels. */

import { FILTER_NAMES, type FilterName } from '../settings/index.ts';

export type { FilterName };

export function isFilterName(value: unknown): value is FilterName {
  return typeof value === 'string' && (FILTER_NAMES as readonly string[]).includes(value);
}

const vignetteGains = new Map<string, Uint16Array>();

/** Per-pixel brightness gain out of 256: 1 in the middle, falling to ~45% in the corners. */
function vignetteGain(width: number, height: number): Uint16Array {
  const key = `${width}x${height}`;
  let gain = vignetteGains.get(key);
  if (!gain) {
    gain = new Uint16Array(width * height);
    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const dx = (x - cx) / cx || 0;
        const dy = (y - cy) / cy || 0;
        const d2 = (dx * dx + dy * dy) / 2;
        gain[y * width + x] = Math.round(256 * (1 - 0.55 * d2 * d2));
      }
    }
    vignetteGains.set(key, gain);
  }
  return gain;
}

export function applyFilter(rgb: Uint8Array, width: number, height: number, filter: FilterName): void {
  const n = width * height * 3;
  switch (filter) {
    case 'none':
      return;
    case 'grayscale':
      for (let o = 0; o < n; o += 3) {
        const y = (77 * rgb[o]! + 150 * rgb[o + 1]! + 29 * rgb[o + 2]!) >> 8;
        rgb[o] = y;
        rgb[o + 1] = y;
        rgb[o + 2] = y;
      }
      return;
    case 'sepia':
      for (let o = 0; o < n; o += 3) {
        const r = rgb[o]!;
        const g = rgb[o + 1]!;
        const b = rgb[o + 2]!;
        // The red and green sums can pass 255 and a Uint8Array would wrap them, so clamp.
        rgb[o] = Math.min(255, (101 * r + 197 * g + 48 * b) >> 8);
        rgb[o + 1] = Math.min(255, (89 * r + 176 * g + 43 * b) >> 8);
        rgb[o + 2] = (70 * r + 137 * g + 34 * b) >> 8;
      }
      return;
    case 'vignette': {
      const gain = vignetteGain(width, height);
      for (let p = 0, o = 0; o < n; p++, o += 3) {
        const k = gain[p]!;
        rgb[o] = (rgb[o]! * k) >> 8;
        rgb[o + 1] = (rgb[o + 1]! * k) >> 8;
        rgb[o + 2] = (rgb[o + 2]! * k) >> 8;
      }
      return;
    }
  }
}
