/**
 * Mulberry32: a tiny seeded generator, so the same seed gives the same numbers on every machine
 * (the simulator's ground, the built-in backgrounds, training's shuffles and augmentations, test data).
 */
export function seededRandom(seed: number): () => number {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
