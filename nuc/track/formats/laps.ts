/**
 * Laps from line crossings, the one source of laps for every format: a lap is the time between two
 * counted crossings of one car. A crossing sooner than the minimum plausible lap time after the last
 * counted one is refused (a bounce, a car nosing back over the line, a second beam break by the same
 * car, or the run-up from a grid slot behind the line); a red flag's time is taken out of the lap it
 * falls in, so a paused lap is not slow.
 */

/** A stretch of time with the race stopped (red flag): [from, to), NUC ms; `to` open while it lasts. */
export interface Pause {
  fromMs: number;
  toMs?: number;
}

export interface Lap {
  /** 1-based */
  n: number;
  startMs: number;
  endMs: number;
  /** the lap's running time (pauses taken out), ms */
  timeMs: number;
  /** penalties given during this lap, ms */
  penaltyMs: number;
}

export interface LapRules {
  /** the lap clock's start: lights out in a race; in a flying time-trial run, the first crossing */
  startMs: number;
  minLapMs: number;
  pauses?: readonly Pause[];
  /** penalties (NUC ms, ms) of this car: each counts in the lap it was given in */
  penalties?: ReadonlyArray<{ atMs: number; ms: number }>;
  /** only crossings at or before this count (a session's end); open when undefined */
  untilMs?: number;
}

export interface CountedLaps {
  laps: Lap[];
  /** crossings refused as impossible laps (too soon after the last counted one) */
  tooSoon: number[];
}

/** The time from `fromMs` to `toMs` that no pause covers. */
export function runningMs(fromMs: number, toMs: number, pauses: readonly Pause[] = []): number {
  let total = toMs - fromMs;
  for (const pause of pauses) {
    const from = Math.max(fromMs, pause.fromMs);
    const to = Math.min(toMs, pause.toMs ?? Number.POSITIVE_INFINITY);
    if (to > from) total -= to - from;
  }
  return total;
}

/** The laps that `crossings` (NUC ms, any order) make under `rules`. */
export function countLaps(crossings: readonly number[], rules: LapRules): CountedLaps {
  const sorted = [...crossings].filter((t) => t >= rules.startMs && (rules.untilMs === undefined || t <= rules.untilMs)).sort((a, b) => a - b);
  const laps: Lap[] = [];
  const tooSoon: number[] = [];
  let from = rules.startMs;
  for (const at of sorted) {
    const timeMs = runningMs(from, at, rules.pauses);
    if (timeMs < rules.minLapMs) {
      tooSoon.push(at);
      continue;
    }
    const penaltyMs = (rules.penalties ?? []).filter((p) => p.atMs >= from && p.atMs < at).reduce((sum, p) => sum + p.ms, 0);
    laps.push({ n: laps.length + 1, startMs: from, endMs: at, timeMs, penaltyMs });
    from = at;
  }
  return { laps, tooSoon };
}
