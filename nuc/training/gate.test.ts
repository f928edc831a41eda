import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../runtime/index.ts';
import { evaluationTracks, judge } from './gate.ts';
import type { TrackResult } from './types.ts';

const defaults = validateConfig({}, 'the defaults').nuc.training;
const run = (source: string, fields: Partial<TrackResult> = {}): TrackResult => ({
  track: source.replace(/^.*\//, '').replace(/\.json$/, ''),
  source,
  lapsAttempted: 2,
  lapsCompleted: 2,
  lapsFinished: 2,
  offTrackEvents: 0,
  meanAbsCteM: 0.05,
  lapTimesS: [13.8, 13.3],
  expertLapS: 13.3,
  endReason: 'laps',
  ...fields,
});

describe('the candidate gate', () => {
  it('by default: at least 1 clean lap of 2 on each evaluation track, and no run ended off the track', () => {
    expect(defaults.gate).toEqual({ minCleanLaps: 1, rejectOffTrack: true, tracks: [] });
    expect(judge(defaults.gate, defaults.evalTracks, [run('default'), run('twisty', { lapsCompleted: 1, offTrackEvents: 1 })])).toEqual({ status: 'candidate', reasons: [] });
    expect(judge(defaults.gate, defaults.evalTracks, [run('default', { lapsCompleted: 0, lapsFinished: 0, lapTimesS: [], endReason: 'off-track' }), run('twisty', { lapsCompleted: 0, endReason: 'time' })])).toEqual({
      status: 'rejected',
      reasons: ['default: 0 clean laps of 2, the gate needs 1', 'default: the run ended off the track', 'twisty: 0 clean laps of 2, the gate needs 1'],
    });
    expect(judge(defaults.gate, defaults.evalTracks, [run('default')])).toEqual({ status: 'rejected', reasons: ['twisty: not evaluated'] });
  });

  it('can name its own tracks, track files too, which the evaluation then drives as well', () => {
    const gate = { minCleanLaps: 2, rejectOffTrack: false, tracks: ['./hall.json'] };
    expect(evaluationTracks(['default', 'twisty'], gate)).toEqual(['default', 'twisty', './hall.json']);
    expect(evaluationTracks(['default', './hall.json'], gate)).toEqual(['default', './hall.json']);
    // only the gate's tracks count; an off-track end is allowed by this gate
    const results = [run('default', { lapsCompleted: 0 }), run('./hall.json', { endReason: 'off-track' })];
    expect(judge(gate, ['default'], results)).toEqual({ status: 'candidate', reasons: [] });
    expect(judge(gate, ['default'], [run('./hall.json', { lapsCompleted: 1 })])).toEqual({ status: 'rejected', reasons: ['hall: 1 clean lap of 2, the gate needs 2'] });
  });
});
