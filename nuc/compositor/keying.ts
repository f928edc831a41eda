/**
 * Chroma keying in HSV. A pixel is "backdrop" when its hue lies near `hueCenter` and it is saturated
 * and bright enough; each of the three tests ramps over a soft margin instead of cutting hard, so
 * noisy, unevenly lit green and anti-aliased edges blend rather than flicker.
 *
 * Per-frame keying reads a 64×64×64 RGB → alpha table, rebuilt only when the settings change.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ChromaKeySchema, type ChromaKeySettings } from '../settings/index.ts';

export type { ChromaKeySettings };


export const DEFAULT_CHROMA_KEY: Readonly<ChromaKeySettings> = Object.freeze({
  hueCenter: 140,
  hueWidth: 40,
  minSaturation: 0.3,
  minValue: 0.15,
  softness: 0.1,
  spill: 0.5,
});

const checkSettings = TypeCompiler.Compile(ChromaKeySchema);

export class ChromaKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChromaKeyError';
  }
}

/**
 * Merges a partial update onto `base` and validates the result, so a live settings change from the
 * dashboard can never leave the compositor with an out-of-range or unknown field.
 */
export function resolveChromaKey(
  update: unknown,
  base: Readonly<ChromaKeySettings> = DEFAULT_CHROMA_KEY,
): ChromaKeySettings {
  if (update === undefined) return { ...base };
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new ChromaKeyError('chroma key settings must be an object');
  }
  const merged: unknown = { ...base, ...update };
  const problems = [...checkSettings.Errors(merged)].map((e) => `${e.path.slice(1) || '(root)'}: ${e.message}`);
  if (problems.length > 0) throw new ChromaKeyError(`invalid chroma key settings: ${problems.join('; ')}`);
  return merged as ChromaKeySettings;
}

/** 0 → 1 across a margin centred on a limit; `distance` is how far inside the keyed side we are. */
function ramp(distance: number, margin: number): number {
  if (margin <= 0) return distance >= 0 ? 1 : 0;
  const t = 0.5 + distance / margin;
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
}

function max3(a: number, b: number, c: number): number {
  return a > b ? (a > c ? a : c) : b > c ? b : c;
}

function min3(a: number, b: number, c: number): number {
  return a < b ? (a < c ? a : c) : b < c ? b : c;
}

/** Subject opacity of one pixel (0 = backdrop, fully replaced; 1 = subject, kept), from 8-bit RGB. */
export function subjectAlpha(r: number, g: number, b: number, s: Readonly<ChromaKeySettings>): number {
  const max = max3(r, g, b);
  const min = min3(r, g, b);
  const chroma = max - min;
  const value = max / 255;
  const saturation = max === 0 ? 0 : chroma / max;
  let hue = 0;
  if (chroma > 0) {
    if (max === r) hue = 60 * (((g - b) / chroma + 6) % 6);
    else if (max === g) hue = 60 * ((b - r) / chroma + 2);
    else hue = 60 * ((r - g) / chroma + 4);
  }
  const rawDistance = Math.abs(hue - s.hueCenter) % 360;
  const hueDistance = rawDistance > 180 ? 360 - rawDistance : rawDistance;
  const keyness = min3(
    ramp(s.hueWidth - hueDistance, s.softness * 180),
    ramp(saturation - s.minSaturation, s.softness),
    ramp(value - s.minValue, s.softness),
  );
  return 1 - keyness;
}

const BITS = 6;
const SHIFT = 8 - BITS;
const LEVELS = 1 << BITS;

/** Index of an 8-bit RGB pixel in a {@link KeyTable}. Inline this expression in hot loops. */
export function keyIndex(r: number, g: number, b: number): number {
  return ((r >> SHIFT) << (2 * BITS)) | ((g >> SHIFT) << BITS) | (b >> SHIFT);
}

/** A precomputed RGB → subject-alpha table (0–255), sampled at the centre of each RGB cell. */
export interface KeyTable {
  readonly settings: Readonly<ChromaKeySettings>;
  readonly alpha: Uint8Array;
  /** `spill` as an integer weight out of 256, for the blend loop. */
  readonly spill256: number;
}

export function buildKeyTable(settings: Readonly<ChromaKeySettings>): KeyTable {
  const alpha = new Uint8Array(LEVELS * LEVELS * LEVELS);
  const half = (1 << SHIFT) / 2 - 0.5;
  let i = 0;
  for (let r = 0; r < LEVELS; r++) {
    for (let g = 0; g < LEVELS; g++) {
      for (let b = 0; b < LEVELS; b++) {
        const a = subjectAlpha((r << SHIFT) + half, (g << SHIFT) + half, (b << SHIFT) + half, settings);
        alpha[i++] = Math.round(a * 255);
      }
    }
  }
  return { settings: Object.freeze({ ...settings }), alpha, spill256: Math.round(settings.spill * 256) };
}

/** Table lookup for one pixel (tests and tools; the compositor inlines it). */
export function lookupAlpha(table: KeyTable, r: number, g: number, b: number): number {
  return table.alpha[keyIndex(r, g, b)]!;
}
