/**
 * Each car's paint on the shared track: the colour other cars' cameras render it in and the track
 * map draws it with. Derived from the id alone, so every camera and every screen agrees without
 * asking. None is near the chroma green, so the compositor never keys a car away.
 */
export type Rgb = readonly [number, number, number];

const PALETTE: readonly Rgb[] = [
  [230, 40, 40],
  [40, 90, 235],
  [245, 200, 20],
  [200, 40, 200],
  [250, 130, 20],
  [240, 240, 240],
  [120, 50, 220],
  [20, 200, 230],
];

/** The paint of car `id`: cars '1'…'8' get the palette in order, other ids a stable pick from it. */
export function carColour(id: string): Rgb {
  const n = Number(id);
  if (Number.isInteger(n) && n >= 1) return PALETTE[(n - 1) % PALETTE.length]!;
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

/** `#rrggbb` for a screen. */
export function carColourHex(id: string): string {
  return `#${carColour(id)
    .map((c) => c.toString(16).padStart(2, '0'))
    .join('')}`;
}
