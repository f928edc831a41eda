import { describe, expect, it } from 'vitest';
import type { SimState } from '../../protocol/index.ts';
import { Leaderboard } from './leaderboard.ts';

const sim = (lap: number, lastLapS?: number): SimState => ({
  track: 'default', x: 0, y: 0, heading: 0, speed: 1, cte: 0, offTrack: false, offTrackEvents: 0, progress: 0, lap, lapTimeS: 1,
  ...(lastLapS !== undefined ? { lastLapS } : {}),
});
const S = 1000;

describe('Leaderboard', () => {
  it('records each completed lap the NUC watched once and ranks the fastest first', () => {
    const board = new Leaderboard();
    expect(board.ingest('1', sim(0), 0)).toBeUndefined();
    expect(board.ingest('1', sim(1, 21.5), 21.6 * S)).toMatchObject({ car: '1', lap: 1, timeS: 21.5 });
    expect(board.ingest('1', sim(1, 21.5), 22 * S)).toBeUndefined();
    board.ingest('2', sim(3), 1 * S);
    board.ingest('2', sim(4, 19.25), 20.3 * S);
    board.ingest('1', sim(2, 20), 41.6 * S);
    expect(board.top().map((l) => [l.car, l.timeS])).toEqual([['2', 19.25], ['1', 20], ['1', 21.5]]);
    expect(board.cars()).toEqual([
      { car: '2', laps: 1, lastLapS: 19.25, bestLapS: 19.25 },
      { car: '1', laps: 2, lastLapS: 20, bestLapS: 20 },
    ]);
  });

  it('keeps only the configured number of laps', () => {
    const board = new Leaderboard(2);
    board.ingest('1', sim(0), 0);
    let at = 0;
    for (let lap = 1; lap <= 4; lap++) board.ingest('1', sim(lap, 30 - lap), (at += (30 - lap) * S));
    expect(board.top().map((l) => l.timeS)).toEqual([26, 27]);
  });

  it('believes no lap it did not watch: a forged 0.001 s lap, a lap whose start it missed, a count that jumps', () => {
    const board = new Leaderboard();
    expect(board.ingest('1', sim(5, 0.001), 1 * S)).toBeUndefined(); // first sight: the start was not watched
    expect(board.ingest('1', sim(6, 0.001), 20 * S)).toBeUndefined(); // watched 19 s, claims 0.001 s
    expect(board.ingest('1', sim(9, 18), 38 * S)).toBeUndefined(); // three laps in one report
    expect(board.ingest('1', sim(10, 0.05), 38.05 * S)).toBeUndefined(); // two reports a moment apart
    expect(board.ingest('1', sim(9), 39 * S)).toBeUndefined(); // and back
    expect(board.ingest('1', sim(10, 18.4), 57.5 * S)).toMatchObject({ lap: 10, timeS: 18.4 });
    expect(board.top().map((l) => l.timeS)).toEqual([18.4]);
  });
});
