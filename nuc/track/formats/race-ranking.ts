/**
 * Race to N laps: ranking rule. Cars that took the flag first, by race time (lights out to their
 * last crossing, red flags taken out) plus their penalties; then cars still racing, by laps done
 * (more first), then by who completed that lap first; cars not classified (out of time after the
 * winner) last, by laps. The leader's gap is 0; another car's is the time between the leader and it
 * completing the same lap (or, for a finisher, the difference in race times with penalties): a
 * timing loop's gap, which needs nothing but the crossings.
 */
export type EntryStatus = 'grid' | 'racing' | 'finished' | 'not-classified';

export interface RaceEntry {
  car: string;
  status: EntryStatus;
  /** each completed lap's end, NUC ms, in order */
  lapEnds: readonly number[];
  /** race time at the finish (running time, penalties not in), ms */
  raceMs: number | null;
  penaltyMs: number;
}

export interface RaceRank {
  car: string;
  position: number;
  /** seconds behind the leader (null: not comparable) */
  gapMs: number | null;
}

const TIER: Record<EntryStatus, number> = { finished: 0, racing: 1, grid: 1, 'not-classified': 2 };

export function rankRace(entries: readonly RaceEntry[]): RaceRank[] {
  const order = [...entries].sort((a, b) => {
    if (TIER[a.status] !== TIER[b.status]) return TIER[a.status] - TIER[b.status];
    if (a.status === 'finished') return a.raceMs! + a.penaltyMs - (b.raceMs! + b.penaltyMs);
    if (a.lapEnds.length !== b.lapEnds.length) return b.lapEnds.length - a.lapEnds.length;
    return (a.lapEnds.at(-1) ?? 0) - (b.lapEnds.at(-1) ?? 0);
  });
  const leader = order[0];
  return order.map((entry, i) => ({ car: entry.car, position: i + 1, gapMs: i === 0 || !leader ? 0 : gap(leader, entry) }));
}

function gap(leader: RaceEntry, entry: RaceEntry): number | null {
  if (entry.status === 'not-classified') return null;
  if (entry.status === 'finished' && leader.status === 'finished') return entry.raceMs! + entry.penaltyMs - (leader.raceMs! + leader.penaltyMs);
  const lap = entry.lapEnds.length;
  if (lap === 0) return null;
  const theirs = entry.lapEnds[lap - 1]!;
  const leaders = leader.lapEnds[lap - 1];
  return leaders === undefined ? null : theirs - leaders + entry.penaltyMs - leader.penaltyMs;
}
