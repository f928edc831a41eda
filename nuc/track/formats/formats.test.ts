import { describe, expect, it } from 'vitest';
import { countLaps, runningMs } from './laps.ts';
import { penaltiesOf } from './penalties.ts';
import { rankTimeTrial } from './time-trial.ts';
import { rankRace } from './race-ranking.ts';
import { planHeats, rankHeats } from './heats.ts';
import { BracketError, isComplete, makeBracket, matchCars, nextMatch, placings, recordWinner, seedOrder, type Bracket } from './bracket.ts';

const laps = (startMs: number, ...times: number[]) => {
  let at = startMs;
  return countLaps(
    times.map((t) => (at += t)),
    { startMs, minLapMs: 1000 },
  ).laps;
};

describe('laps from crossings', () => {
  it('counts a lap between two crossings, refuses one sooner than the minimum plausible lap, and takes a red flag out', () => {
    const counted = countLaps([10_000, 10_300, 4_000, 19_000, 40_000], {
      startMs: 1_000,
      minLapMs: 2_000,
      pauses: [{ fromMs: 20_000, toMs: 25_000 }],
      penalties: [{ atMs: 12_000, ms: 2_000 }],
    });
    expect(counted.laps.map((l) => [l.n, l.startMs, l.endMs, l.timeMs, l.penaltyMs])).toEqual([
      [1, 1_000, 4_000, 3_000, 0],
      [2, 4_000, 10_000, 6_000, 0],
      [3, 10_000, 19_000, 9_000, 2_000],
      [4, 19_000, 40_000, 16_000, 0],
    ]);
    expect(counted.tooSoon).toEqual([10_300]);
    expect(runningMs(0, 100, [{ fromMs: 50 }])).toBe(50);
  });

  it('counts only crossings within the session and none before the start', () => {
    expect(countLaps([500, 3_000, 6_000, 9_000], { startMs: 1_000, minLapMs: 1_000, untilMs: 7_000 }).laps.map((l) => l.endMs)).toEqual([3_000, 6_000]);
  });

  it('gives each car only its own penalties, in seconds of the kind', () => {
    const seconds = { reset: 2, 'off-track': 1, contact: 5, 'jump-start': 5 };
    expect(penaltiesOf('1', [{ car: '1', kind: 'reset', atMs: 5 }, { car: '2', kind: 'contact', atMs: 6 }, { car: '1', kind: 'jump-start', atMs: 7 }], seconds)).toEqual([
      { atMs: 5, ms: 2000 },
      { atMs: 7, ms: 5000 },
    ]);
  });
});

describe('time trial ranking', () => {
  it('ranks by best lap, penalties in, the earlier of equal times first, racers without a lap last', () => {
    const standings = rankTimeTrial(
      [
        { car: 'a', runs: [laps(0, 9_000, 8_000)] },
        { car: 'b', runs: [laps(0, 8_500), laps(100_000, 7_000)] },
        { car: 'c', runs: [] },
        { car: 'd', runs: [laps(0, 8_000, 9_000)] },
      ],
      { by: 'best-lap' },
    );
    expect(standings.map((s) => [s.position, s.car, s.resultMs, s.runs, s.laps])).toEqual([
      [1, 'b', 7_000, 2, 2],
      [2, 'd', 8_000, 1, 2],
      [3, 'a', 8_000, 1, 2],
      [4, 'c', null, 0, 0],
    ]);
    // a reset during b's 7 s lap costs 2 s: b falls behind
    const penalised = laps(100_000, 7_000);
    penalised[0]!.penaltyMs = 2_000;
    expect(rankTimeTrial([{ car: 'b', runs: [penalised] }, { car: 'a', runs: [laps(0, 8_000)] }], { by: 'best-lap' }).map((s) => s.car)).toEqual(['a', 'b']);
  });

  it('ranks by the best N consecutive laps within one run; short of N laps ranks after, by best lap', () => {
    const standings = rankTimeTrial(
      [
        { car: 'fast-once', runs: [laps(0, 6_000, 12_000, 12_000)] },
        { car: 'steady', runs: [laps(0, 9_000, 9_000, 9_000)] },
        // two laps in each of two runs: never three in a row
        { car: 'split', runs: [laps(0, 5_000, 5_000), laps(50_000, 5_000, 5_000)] },
      ],
      { by: 'consecutive', laps: 3 },
    );
    expect(standings.map((s) => [s.car, s.resultMs, s.bestLapMs])).toEqual([
      ['steady', 27_000, 9_000],
      ['fast-once', 30_000, 6_000],
      ['split', null, 5_000],
    ]);
  });
});

describe('race to N laps ranking', () => {
  it('puts finishers first by race time with penalties, then by laps and who completed the lap first; gaps from the crossings', () => {
    const ranks = rankRace([
      { car: 'a', status: 'finished', lapEnds: [10_000, 20_000], raceMs: 20_000, penaltyMs: 5_000 },
      { car: 'b', status: 'finished', lapEnds: [11_000, 22_000], raceMs: 22_000, penaltyMs: 0 },
      { car: 'c', status: 'racing', lapEnds: [12_000], raceMs: null, penaltyMs: 0 },
      { car: 'd', status: 'racing', lapEnds: [11_500], raceMs: null, penaltyMs: 0 },
      { car: 'e', status: 'not-classified', lapEnds: [], raceMs: null, penaltyMs: 0 },
    ]);
    expect(ranks).toEqual([
      { car: 'b', position: 1, gapMs: 0 },
      { car: 'a', position: 2, gapMs: 3_000 },
      { car: 'd', position: 3, gapMs: 500 },
      { car: 'c', position: 4, gapMs: 1_000 },
      { car: 'e', position: 5, gapMs: null },
    ]);
  });
});

describe('heats', () => {
  it('snake-seeds the field into heats of at most the size', () => {
    expect(planHeats(['1', '2', '3', '4', '5', '6', '7'], 3)).toEqual([
      ['1', '6', '7'],
      ['2', '5'],
      ['3', '4'],
    ]);
    expect(() => planHeats(['1'], 0)).toThrow(RangeError);
  });

  it('ranks by place in the heat, equal places by race time, then non-finishers, then heats not run', () => {
    const heats = [['1', '3'], ['2', '4'], ['5']];
    const standings = rankHeats(heats, [
      [
        { car: '3', position: 1, status: 'finished', laps: 3, totalMs: 63_000 },
        { car: '1', position: 2, status: 'not-classified', laps: 2, totalMs: null },
      ],
      [
        { car: '2', position: 1, status: 'finished', laps: 3, totalMs: 61_200 },
        { car: '4', position: 2, status: 'finished', laps: 3, totalMs: 70_000 },
      ],
      undefined,
    ]);
    expect(standings.map((s) => [s.position, s.car, s.heat])).toEqual([
      [1, '2', 2],
      [2, '3', 1],
      [3, '4', 2],
      [4, '1', 1],
      [5, '5', 3],
    ]);
  });
});

/** Runs a bracket to the end, the car that `wins` picks winning each match; returns the order matches ran in. */
function runBracket(bracket: Bracket, wins: (cars: [string, string]) => string): { bracket: Bracket; played: string[] } {
  const played: string[] = [];
  for (let next = nextMatch(bracket); next; next = nextMatch(bracket)) {
    played.push(`${next.match.id}:${next.cars.join('v')}`);
    bracket = recordWinner(bracket, next.match.id, wins(next.cars));
  }
  return { bracket, played };
}

const bySeed = (cars: [string, string]): string => (Number(cars[0]) < Number(cars[1]) ? cars[0] : cars[1]);

describe('elimination brackets', () => {
  it('places seeds so 1 and 2 meet only in the final', () => {
    expect(seedOrder(8)).toEqual([1, 8, 4, 5, 2, 7, 3, 6]);
  });

  it('single elimination: byes to the top seeds, winners go on, placings by the round a car went out in', () => {
    const { bracket, played } = runBracket(makeBracket('single', ['1', '2', '3', '4', '5', '6']), bySeed);
    // seeds 1 and 2 have byes in round 1
    expect(played).toEqual(['W1-2:4v5', 'W1-4:3v6', 'W2-1:1v4', 'W2-2:2v3', 'W3-1:1v2']);
    expect(isComplete(bracket)).toBe(true);
    expect(placings(bracket).map((p) => [p.car, p.place])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 3],
      ['4', 3],
      ['5', 5],
      ['6', 5],
    ]);
    expect(bracket.matches.find((m) => m.id === 'W3-1')!.label).toBe('Final');
  });

  it('double elimination: a first loss drops to the losers\' bracket, a second ends it; the losers\' champion winning the grand final forces a decider', () => {
    const bracket = makeBracket('double', ['1', '2', '3', '4']);
    expect(bracket.matches.map((m) => m.id)).toEqual(['W1-1', 'W1-2', 'W2-1', 'L1-1', 'L2-1', 'F1', 'F2']);
    // Seed 2 wins every race it is in: seed 1 drops to the losers' bracket after the winners' final,
    // wins the losers' final, and loses the grand final to 2: no decider.
    const result = runBracket(bracket, (cars) => (cars.includes('2') ? '2' : bySeed(cars)));
    expect(result.played).toEqual(['W1-1:1v4', 'W1-2:2v3', 'W2-1:1v2', 'L1-1:4v3', 'L2-1:3v1', 'F1:2v1']);
    expect(placings(result.bracket).map((p) => [p.car, p.place])).toEqual([
      ['2', 1],
      ['1', 2],
      ['3', 3],
      ['4', 4],
    ]);
    expect(result.bracket.matches.find((m) => m.id === 'F2')!.skipped).toBe(true);

    // Now the losers' champion (1) wins the first grand final: both have lost once, a decider follows
    // (which 2 wins: 2 beats 1 whenever 1 is named first).
    const decider = runBracket(makeBracket('double', ['1', '2', '3', '4']), (cars) => (cars.join() === '1,2' ? '2' : bySeed(cars)));
    expect(decider.played.slice(-2)).toEqual(['F1:2v1', 'F2:1v2']);
    expect(placings(decider.bracket).map((p) => [p.car, p.place, p.decidedIn])).toEqual([
      ['2', 1, 'F2'],
      ['1', 2, 'F2'],
      ['3', 3, 'L2-1'],
      ['4', 4, 'L1-1'],
    ]);
  });

  it('double elimination of six: byes settle themselves, every car but the champion loses twice, 2n-2 or 2n-1 races', () => {
    const seeds = ['1', '2', '3', '4', '5', '6'];
    const { bracket, played } = runBracket(makeBracket('double', seeds), bySeed);
    expect(isComplete(bracket)).toBe(true);
    const losses = new Map<string, number>();
    for (const m of bracket.matches) if (m.loser) losses.set(m.loser, (losses.get(m.loser) ?? 0) + 1);
    expect([...losses.entries()].sort()).toEqual([['2', 2], ['3', 2], ['4', 2], ['5', 2], ['6', 2]]);
    expect(played.length).toBe(2 * seeds.length - 2);
    const places = placings(bracket);
    expect(places.map((p) => p.car)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(places.map((p) => p.place)).toEqual([1, 2, 3, 4, 5, 5]);
  });

  it('refuses a winner who is not in the match, a match decided twice, and a match whose cars are not known yet', () => {
    const bracket = makeBracket('double', ['a', 'b', 'c', 'd']);
    expect(() => recordWinner(bracket, 'W1-1', 'b')).toThrow(BracketError);
    expect(() => recordWinner(bracket, 'W2-1', 'a')).toThrow(/both its cars/);
    const once = recordWinner(bracket, 'W1-1', 'a');
    expect(() => recordWinner(once, 'W1-1', 'a')).toThrow(/already decided/);
    expect(matchCars(once, once.matches.find((m) => m.id === 'W2-1')!)).toEqual(['a', undefined]);
    expect(() => makeBracket('single', ['a'])).toThrow(RangeError);
  });
});
