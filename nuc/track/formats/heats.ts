/**
 * Heats: the field split into heats of at most `size` cars, seeded in a snake (seed 1 to heat 1,
 * seed 2 to heat 2, … then back), so every heat has a fair share of the fast cars; each heat is a
 * race to N laps.
 *
 * Ranking rule: by place in one's own heat (every heat winner before every second); equal places by
 * race time with penalties (a heat winner in 61.2 s before one in 63.0 s); cars that did not finish
 * their heat after every finisher, by laps done; cars whose heat is not run yet last, in seed order.
 */
import type { EntryStatus } from './race-ranking.ts';

/** Splits `seeded` (best first) into heats of at most `size` cars, snake-seeded. */
export function planHeats(seeded: readonly string[], size: number): string[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a heat needs room for at least one car, got ${size}`);
  const count = Math.max(1, Math.ceil(seeded.length / size));
  const heats: string[][] = Array.from({ length: count }, () => []);
  seeded.forEach((car, i) => {
    const round = Math.floor(i / count);
    const slot = i % count;
    heats[round % 2 === 0 ? slot : count - 1 - slot]!.push(car);
  });
  return heats;
}

export interface HeatResult {
  car: string;
  /** place in its heat */
  position: number;
  status: EntryStatus;
  laps: number;
  /** race time with penalties, ms (finishers) */
  totalMs: number | null;
}

export interface HeatStanding {
  position: number;
  car: string;
  heat: number;
  heatPosition: number | null;
  totalMs: number | null;
  laps: number;
}

/** The overall ranking: `results` per heat (index = heat), and the heats' cars for those not yet run. */
export function rankHeats(heats: readonly string[][], results: ReadonlyArray<readonly HeatResult[] | undefined>): HeatStanding[] {
  const rows: Array<HeatStanding & { tier: number; seed: number }> = [];
  let seed = 0;
  heats.forEach((cars, heat) => {
    const result = results[heat];
    for (const car of cars) {
      const r = result?.find((x) => x.car === car);
      const tier = !r ? 2 : r.status === 'finished' ? 0 : 1;
      rows.push({ position: 0, car, heat: heat + 1, heatPosition: r?.position ?? null, totalMs: r?.totalMs ?? null, laps: r?.laps ?? 0, tier, seed: seed++ });
    }
  });
  rows.sort((a, b) => {
    if (a.tier !== b.tier) return a.tier - b.tier;
    if (a.tier === 0) return a.heatPosition! - b.heatPosition! || a.totalMs! - b.totalMs! || a.seed - b.seed;
    if (a.tier === 1) return b.laps - a.laps || a.heatPosition! - b.heatPosition! || a.seed - b.seed;
    return a.seed - b.seed;
  });
  return rows.map(({ tier: _tier, seed: _seed, ...row }, i) => ({ ...row, position: i + 1 }));
}
