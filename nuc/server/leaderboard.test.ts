import { describe, expect, it } from 'vitest';
import type { SimState } from '../../protocol/index.ts';
import { Leaderboard } from './leaderboard.ts';

const sim = (lap: number, lastLapS?: number): SimState => ({
  track: 'default', x: 0, y: 0, heading: 0, speed: 1, cte: 0, offTrack: false, offTrackEvents: 0, progress: 0, lap, lapTimeS: 1,
  ...(lastLapS !== undefined ? { lastLapS } : {}),
});

describe('Leaderboard', () => {
  it('records each completed lap once and ranks the fastest first', () => {
    const board = new Leaderboard();
    expect(board.ingest('1', sim(0))).toBeUndefined();
    expect(board.ingest('1', sim(1, 21.5), 1)).toMatchObject({ car: '1', lap: 1, timeS: 21.5 });
    expect(board.ingest('1', sim(1, 21.5), 2)).toBeUndefined();
    board.ingest('2', sim(1, 19.25), 3);
    board.ingest('1', sim(2, 20), 4);
    expect(board.top().map((l) => [l.car, l.timeS])).toEqual([['2', 19.25], ['1', 20], ['1', 21.5]]);
    expect(board.cars()).toEqual([
      { car: '2', laps: 1, lastLapS: 19.25, bestLapS: 19.25 },
      { car: '1', laps: 2, lastLapS: 20, bestLapS: 20 },
    ]);
  });

  it('keeps only the configured number of laps', () => {
    const board = new Leaderboard(2);
    for (let lap = 1; lap <= 4; lap++) board.ingest('1', sim(lap, 30 - lap));
    expect(board.top().map((l) => l.timeS)).toEqual([26, 27]);
  });
});
