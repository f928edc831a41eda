import { describe, expect, it } from 'vitest';
import { lapVsExpert, mergeJob } from './training-api.ts';
import type { TrainingJob } from '../../nuc/server/wire.ts';

const job = (id: number, revision: number, state: TrainingJob['state'] = 'queued'): TrainingJob => ({
  action: 'train',
  id,
  revision,
  state,
  tubs: ['t'],
  kind: 'fast',
  trigger: 'request',
  history: [],
  progress: null,
  result: null,
  error: null,
  cancelRequested: false,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
});

describe('training api helpers', () => {
  it('merges a pushed job in place, newest id first, ignoring stale revisions', () => {
    const list = [job(2, 5), job(1, 3)];
    expect(mergeJob(list, job(3, 6)).map((j) => j.id)).toEqual([3, 2, 1]);
    expect(mergeJob(list, job(1, 7, 'running')).find((j) => j.id === 1)?.state).toBe('running');
    expect(mergeJob(list, job(2, 4, 'failed')).find((j) => j.id === 2)?.state).toBe('queued');
  });

  it('states the lap time against the expert', () => {
    const track = { track: 'default', source: 'default', endReason: 'laps' as const, lapsAttempted: 2, lapsCompleted: 2, lapsFinished: 2, offTrackEvents: 0, meanAbsCteM: 0.1, lapTimesS: [20, 22], expertLapS: 20 };
    expect(lapVsExpert(track)).toBe('21.0 s (1.05× expert)');
    expect(lapVsExpert({ ...track, lapTimesS: [] })).toBe('no lap');
  });
});
