/**
 * Single and double elimination brackets, seeded (from a time trial: seed 1 is the fastest). Each
 * match is a head-to-head race; its winner goes on. Pure data: a bracket is made once, then each
 * match's winner is recorded and the next match to run is read off it.
 *
 * Seeding: the field is padded to a power of two with byes, placed so that seed 1 meets seed 2 only
 * in the final and the top seeds get the byes (1 v 8, 4 v 5, 2 v 7, 3 v 6 for eight). A match against
 * a bye is won without racing.
 *
 * Single elimination: a loss is the end. Double elimination: a first loss drops the car into the
 * losers' bracket (the losers of each winners' round drop in, in reverse order, to keep rematches
 * away), a second loss is the end; the winners' bracket champion meets the losers' bracket champion in
 * the grand final, and if the losers' champion wins it, a second grand final decides (both then have
 * one loss).
 *
 * Ranking rule (placings): the champion first, the final's loser second; every other car by the
 * stage it went out in, later is better; cars out in the same stage share the place (5th = 5–6th as
 * brackets usually print it), listed in seed order.
 */
export type BracketKind = 'single' | 'double';

/** Where a match's car comes from. */
export type Slot = { seed: number } | { winnerOf: string } | { loserOf: string };

export interface Match {
  id: string;
  side: 'winners' | 'losers' | 'final';
  round: number;
  /** elimination order: going out in a later stage ranks higher */
  stage: number;
  label: string;
  slots: [Slot, Slot];
  /** the car that won (null: a bye "won": no car came through); undefined until decided */
  winner?: string | null;
  loser?: string | null;
  /** the second grand final, run only when the losers' champion wins the first */
  ifNeeded?: boolean;
  skipped?: boolean;
}

export interface Bracket {
  kind: BracketKind;
  /** cars, best seed first */
  seeds: string[];
  matches: Match[];
}

export interface Placing {
  car: string;
  seed: number;
  /** null while the car is still in */
  place: number | null;
  /** the match it went out in (or won the final in) */
  decidedIn: string | null;
}

/** Seed numbers in bracket order for `size` (a power of two): 1, 8, 4, 5, 2, 7, 3, 6 for eight. */
export function seedOrder(size: number): number[] {
  let order = [1];
  while (order.length < size) {
    const n = order.length * 2;
    order = order.flatMap((s) => [s, n + 1 - s]);
  }
  return order;
}

const SINGLE_NAMES = ['Final', 'Semi-final', 'Quarter-final'];

export function makeBracket(kind: BracketKind, seeds: readonly string[]): Bracket {
  if (seeds.length < 2) throw new RangeError(`a bracket needs at least two cars, got ${seeds.length}`);
  if (new Set(seeds).size !== seeds.length) throw new RangeError('a car can only be seeded once');
  const rounds = Math.ceil(Math.log2(seeds.length));
  const size = 2 ** rounds;
  const matches: Match[] = [];
  const order = seedOrder(size);
  const winners: string[][] = [];
  for (let r = 1; r <= rounds; r++) {
    const count = size / 2 ** r;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = `W${r}-${i + 1}`;
      const slots: [Slot, Slot] =
        r === 1 ? [{ seed: order[2 * i]! }, { seed: order[2 * i + 1]! }] : [{ winnerOf: winners[r - 2]![2 * i]! }, { winnerOf: winners[r - 2]![2 * i + 1]! }];
      const label = kind === 'single' ? (SINGLE_NAMES[rounds - r] ?? `Round ${r}`) : r === rounds ? "Winners' final" : `Winners' round ${r}`;
      matches.push({ id, side: 'winners', round: r, stage: r, label: count > 1 ? `${label} · ${i + 1}` : label, slots });
      ids.push(id);
    }
    winners.push(ids);
  }
  if (kind === 'single') return { kind, seeds: [...seeds], matches };

  // The losers' bracket: round 1 pairs the first round's losers; then each winners' round's losers
  // drop in against the survivors, and (but for the last) the survivors play each other once more.
  let stage = 0;
  let round = 0;
  let previous: string[] = [];
  const losersRound = (pairs: Array<[Slot, Slot]>): string[] => {
    round++;
    stage++;
    return pairs.map((slots, i) => {
      const id = `L${round}-${i + 1}`;
      matches.push({ id, side: 'losers', round, stage, label: pairs.length > 1 ? `Losers' round ${round} · ${i + 1}` : `Losers' round ${round}`, slots });
      return id;
    });
  };
  if (rounds >= 2) {
    const first = winners[0]!;
    previous = losersRound(Array.from({ length: first.length / 2 }, (_, i) => [{ loserOf: first[2 * i]! }, { loserOf: first[2 * i + 1]! }]));
    for (let r = 2; r <= rounds; r++) {
      const dropping = r % 2 === 0 ? [...winners[r - 1]!].reverse() : winners[r - 1]!;
      previous = losersRound(previous.map((id, i) => [{ winnerOf: id }, { loserOf: dropping[i]! }]));
      if (r < rounds) previous = losersRound(Array.from({ length: previous.length / 2 }, (_, i) => [{ winnerOf: previous[2 * i]! }, { winnerOf: previous[2 * i + 1]! }]));
    }
  }
  const winnersChampion: Slot = { winnerOf: winners[rounds - 1]![0]! };
  const losersChampion: Slot = previous.length ? { winnerOf: previous[0]! } : { loserOf: winners[rounds - 1]![0]! };
  matches.push({ id: 'F1', side: 'final', round: 1, stage: stage + 1, label: 'Grand final', slots: [winnersChampion, losersChampion] });
  matches.push({ id: 'F2', side: 'final', round: 2, stage: stage + 2, label: 'Grand final (decider)', slots: [{ winnerOf: 'F1' }, { loserOf: 'F1' }], ifNeeded: true });
  return settleByes({ kind, seeds: [...seeds], matches });
}

/** The car in a slot: a car, null for a bye, undefined while the match it comes from is undecided. */
export function slotCar(bracket: Bracket, slot: Slot): string | null | undefined {
  if ('seed' in slot) return bracket.seeds[slot.seed - 1] ?? null;
  const from = bracket.matches.find((m) => m.id === ('winnerOf' in slot ? slot.winnerOf : slot.loserOf));
  if (!from || from.winner === undefined) return undefined;
  return 'winnerOf' in slot ? from.winner : (from.loser ?? null);
}

export function matchCars(bracket: Bracket, match: Match): [string | null | undefined, string | null | undefined] {
  return [slotCar(bracket, match.slots[0]), slotCar(bracket, match.slots[1])];
}

/** Decides every match a bye is in, and skips the decider when the winners' champion took the first final. */
function settleByes(bracket: Bracket): Bracket {
  let changed = true;
  while (changed) {
    changed = false;
    for (const match of bracket.matches) {
      if (match.winner !== undefined || match.skipped) continue;
      if (match.ifNeeded) {
        const first = bracket.matches.find((m) => m.id === 'F1')!;
        if (first.winner !== undefined && first.winner === slotCar(bracket, first.slots[0])) {
          match.skipped = true;
          changed = true;
        }
        continue;
      }
      const [a, b] = matchCars(bracket, match);
      if (a === undefined || b === undefined || (a !== null && b !== null)) continue;
      match.winner = a ?? b;
      match.loser = null;
      changed = true;
    }
  }
  return bracket;
}

/** The next match to race (both cars known, not decided), in bracket order; undefined when none. */
export function nextMatch(bracket: Bracket): { match: Match; cars: [string, string] } | undefined {
  for (const match of bracket.matches) {
    if (match.winner !== undefined || match.skipped) continue;
    const [a, b] = matchCars(bracket, match);
    if (typeof a === 'string' && typeof b === 'string') return { match, cars: [a, b] };
  }
  return undefined;
}

export class BracketError extends Error {
  override name = 'BracketError';
}

/** A new bracket with `matchId` won by `winner` (one of its two cars). */
export function recordWinner(bracket: Bracket, matchId: string, winner: string): Bracket {
  const next: Bracket = structuredClone(bracket);
  const match = next.matches.find((m) => m.id === matchId);
  if (!match) throw new BracketError(`no match ${matchId} in this bracket`);
  if (match.winner !== undefined || match.skipped) throw new BracketError(`match ${matchId} is already decided`);
  const cars = matchCars(next, match);
  if (typeof cars[0] !== 'string' || typeof cars[1] !== 'string') throw new BracketError(`match ${matchId} does not have both its cars yet`);
  if (!cars.includes(winner)) throw new BracketError(`car ${winner} is not in match ${matchId} (${cars.join(' v ')})`);
  match.winner = winner;
  match.loser = cars[0] === winner ? cars[1] : cars[0];
  return settleByes(next);
}

/** Whether a loss in `match` by `car` ends its bracket. */
function eliminates(bracket: Bracket, match: Match): boolean {
  if (bracket.kind === 'single' || match.side === 'losers') return true;
  if (match.id === 'F2') return true;
  // first grand final: only the losers' champion (who has lost once already) goes out
  return match.id === 'F1' && match.loser === slotCar(bracket, match.slots[1]);
}

export function isComplete(bracket: Bracket): boolean {
  return bracket.matches.every((m) => m.winner !== undefined || m.skipped);
}

export function placings(bracket: Bracket): Placing[] {
  const out = new Map<string, Match>();
  let champion: { car: string; match: Match } | undefined;
  for (const match of bracket.matches) {
    if (match.winner === undefined || match.skipped) continue;
    if (match.loser && eliminates(bracket, match)) out.set(match.loser, match);
  }
  if (isComplete(bracket)) {
    const final = [...bracket.matches].reverse().find((m) => !m.skipped)!;
    if (final.winner) champion = { car: final.winner, match: final };
  }
  const rows = bracket.seeds.map((car, i) => ({ car, seed: i + 1, stage: champion?.car === car ? Number.POSITIVE_INFINITY : (out.get(car)?.stage ?? null), match: champion?.car === car ? champion.match : out.get(car) }));
  return rows
    .map((r) => ({
      car: r.car,
      seed: r.seed,
      place: r.stage === null ? null : 1 + rows.filter((o) => (o.stage ?? Number.POSITIVE_INFINITY) > r.stage!).length,
      decidedIn: r.match?.id ?? null,
    }))
    .sort((a, b) => (a.place ?? Number.POSITIVE_INFINITY) - (b.place ?? Number.POSITIVE_INFINITY) || a.seed - b.seed);
}
