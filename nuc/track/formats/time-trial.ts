/**
 * Time trial ranking. Each racer drives alone (so every crossing is theirs) for up to `runsPerRacer`
 * runs of a session of `minutes` each; a lap counts if it ends within its run's session. A lap's time
 * is its running time plus the penalties given during it.
 *
 * Ranking rule:
 *   best-lap      the fastest single lap of any run; equal times: the one set first ranks higher
 *   consecutive   the smallest sum of N consecutive laps within one run (DeepRacer's "best average of
 *                 X laps"); racers without N consecutive laps in any run rank after all who have,
 *                 among themselves by best lap; equal sums: the one set first ranks higher
 *   racers with no lap at all rank last, in their registration order
 */
import type { Lap } from './laps.ts';

export type TrialRank = { by: 'best-lap' } | { by: 'consecutive'; laps: number };

export interface TrialEntry {
  car: string;
  /** each run's counted laps, in order */
  runs: ReadonlyArray<readonly Lap[]>;
}

export interface TrialStanding {
  position: number;
  car: string;
  runs: number;
  laps: number;
  /** best single lap, penalties in, ms */
  bestLapMs: number | null;
  /** best N consecutive laps' sum (consecutive ranking only), ms */
  bestConsecutiveMs: number | null;
  /** the value ranked on (best lap or the N-lap sum), ms; null: no qualifying time */
  resultMs: number | null;
}

const lapMs = (lap: Lap): number => lap.timeMs + lap.penaltyMs;

interface Best {
  ms: number;
  atMs: number;
}

function bestLap(runs: TrialEntry['runs']): Best | undefined {
  let best: Best | undefined;
  for (const lap of runs.flat()) if (!best || lapMs(lap) < best.ms || (lapMs(lap) === best.ms && lap.endMs < best.atMs)) best = { ms: lapMs(lap), atMs: lap.endMs };
  return best;
}

/** The smallest sum of `n` consecutive laps within one run. */
export function bestConsecutive(runs: TrialEntry['runs'], n: number): Best | undefined {
  let best: Best | undefined;
  for (const laps of runs) {
    for (let i = 0; i + n <= laps.length; i++) {
      const window = laps.slice(i, i + n);
      const ms = window.reduce((sum, lap) => sum + lapMs(lap), 0);
      const atMs = window[n - 1]!.endMs;
      if (!best || ms < best.ms || (ms === best.ms && atMs < best.atMs)) best = { ms, atMs };
    }
  }
  return best;
}

export function rankTimeTrial(entries: readonly TrialEntry[], rank: TrialRank): TrialStanding[] {
  const scored = entries.map((entry, order) => {
    const lap = bestLap(entry.runs);
    const run = rank.by === 'consecutive' ? bestConsecutive(entry.runs, rank.laps) : lap;
    return { entry, order, lap, run };
  });
  // tiers: a qualifying time, only a lap (consecutive ranking), nothing
  const tier = (s: (typeof scored)[number]) => (s.run ? 0 : s.lap ? 1 : 2);
  scored.sort((a, b) => {
    if (tier(a) !== tier(b)) return tier(a) - tier(b);
    const x = tier(a) === 0 ? [a.run!, b.run!] : tier(a) === 1 ? [a.lap!, b.lap!] : undefined;
    if (x && x[0]!.ms !== x[1]!.ms) return x[0]!.ms - x[1]!.ms;
    if (x && x[0]!.atMs !== x[1]!.atMs) return x[0]!.atMs - x[1]!.atMs;
    return a.order - b.order;
  });
  return scored.map((s, i) => ({
    position: i + 1,
    car: s.entry.car,
    runs: s.entry.runs.length,
    laps: s.entry.runs.reduce((n, laps) => n + laps.length, 0),
    bestLapMs: s.lap?.ms ?? null,
    bestConsecutiveMs: rank.by === 'consecutive' ? (s.run?.ms ?? null) : null,
    resultMs: s.run?.ms ?? null,
  }));
}
