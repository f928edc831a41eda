/**
 * The fault table (after Mender's state tests): for every phase of each update path, an error, a hang,
 * a kill -9 of the agent and a power cut, each asserting the exact path of journaled phases and the
 * version the car ends on, and that the car really runs that version (processes, slots, model,
 * generation). Rows are generated from the phase lists, so a new phase without an expected outcome
 * fails the table; the outcomes themselves are written out below.
 */
import { describe, expect, it } from 'vitest';
import { updatePlan } from './planner.ts';
import type { Release } from './release.ts';
import { V1, V1_SLOTS, V2_CONSTRAINED, V2_HANDOVER, V2_MODEL_ONLY, runUpdate, type Injected } from '../../test/support/agent-fixtures.ts';
import type { UpdatePhase } from './state.ts';

type Fault = 'error' | 'hang' | 'kill' | 'power-cut';
const FAULTS: readonly Fault[] = ['error', 'hang', 'kill', 'power-cut'];

/**
 * - unaffected: the fault only delays (the car state read failed: not stopped yet, ask again)
 * - retried: the step is tried again after a back-off, then the update goes on
 * - resumed: the restarted agent carries on in the same phase (downloads resume)
 * - rolled-back: back to the installed version, the candidate is marked failed
 * - rolled-back-then-retried: the restarted agent cannot trust half-applied processes, rolls back,
 *   then tries the candidate again from the start (the blobs are already there)
 */
type Outcome = 'unaffected' | 'retried' | 'resumed' | 'rolled-back' | 'rolled-back-then-retried';

const RETRIED = { error: 'retried', hang: 'retried', kill: 'resumed', 'power-cut': 'resumed' } as const;
const RETRIED_AFTER_INTERRUPT = { error: 'retried', hang: 'retried', kill: 'rolled-back-then-retried', 'power-cut': 'rolled-back-then-retried' } as const;
const APPLY = { error: 'rolled-back', hang: 'rolled-back', kill: 'rolled-back-then-retried', 'power-cut': 'rolled-back-then-retried' } as const;
const WAITING = { error: 'unaffected', hang: 'unaffected', kill: 'resumed', 'power-cut': 'resumed' } as const;
/** the commit is the journal write: when it fails or hangs the agent dies and restarts from 'committing' */
const COMMIT = { error: 'rolled-back-then-retried', hang: 'rolled-back-then-retried', kill: 'rolled-back-then-retried', 'power-cut': 'rolled-back-then-retried' } as const;

interface Scenario {
  name: string;
  target: Release;
  /** the happy path, written out */
  path: UpdatePhase[];
  expected: Partial<Record<UpdatePhase, Record<Fault, Outcome>>>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'hand-over (pilot, hardware-owning actuator and model together)',
    target: V2_HANDOVER,
    path: ['checking-space', 'downloading', 'staging', 'waiting-for-stop', 'stopping-first', 'starting-new', 'health-check', 'switching', 'stopping-old', 'swapping-model', 'committing'],
    expected: {
      'checking-space': RETRIED,
      downloading: RETRIED,
      staging: RETRIED,
      'waiting-for-stop': WAITING,
      'stopping-first': APPLY,
      'starting-new': APPLY,
      'health-check': APPLY,
      switching: APPLY,
      'stopping-old': APPLY,
      'swapping-model': APPLY,
      committing: COMMIT,
    },
  },
  {
    name: 'kill-then-download and delete-then-download (camera, uplink)',
    target: V2_CONSTRAINED,
    path: ['waiting-for-stop', 'stopping-first', 'deleting', 'checking-space', 'downloading', 'staging', 'starting-new', 'health-check', 'committing'],
    expected: {
      'waiting-for-stop': WAITING,
      'stopping-first': APPLY,
      // the old services are already stopped: a restarted agent restores them before trying again
      deleting: RETRIED_AFTER_INTERRUPT,
      'checking-space': RETRIED_AFTER_INTERRUPT,
      downloading: RETRIED_AFTER_INTERRUPT,
      staging: RETRIED_AFTER_INTERRUPT,
      'starting-new': APPLY,
      'health-check': APPLY,
      committing: COMMIT,
    },
  },
  {
    name: 'model-only (swapped inside the running pilot)',
    target: V2_MODEL_ONLY,
    path: ['checking-space', 'downloading', 'swapping-model', 'committing'],
    expected: {
      'checking-space': RETRIED,
      downloading: RETRIED,
      'swapping-model': APPLY,
      committing: COMMIT,
    },
  },
];

const upTo = (path: readonly string[], phase: string): string[] => path.slice(0, path.indexOf(phase) + 1);
const after = (path: readonly string[], phase: string): string[] => path.slice(path.indexOf(phase) + 1);

function expectedRun(path: readonly UpdatePhase[], phase: UpdatePhase, outcome: Outcome): { path: string[]; endsOn: number } {
  switch (outcome) {
    case 'unaffected':
      return { path: [...path, 'idle'], endsOn: 2 };
    case 'retried':
      return { path: [...upTo(path, phase), phase, ...after(path, phase), 'idle'], endsOn: 2 };
    case 'resumed':
      return { path: [...upTo(path, phase), '↻', phase, ...after(path, phase), 'idle'], endsOn: 2 };
    case 'rolled-back':
      return { path: [...upTo(path, phase), 'rolling-back', 'failed'], endsOn: 1 };
    case 'rolled-back-then-retried':
      return { path: [...upTo(path, phase), '↻', 'rolling-back', ...path, 'idle'], endsOn: 2 };
  }
}

function inject(phase: UpdatePhase, fault: Fault): Injected {
  return fault === 'kill' || fault === 'power-cut' ? { death: { phase, kind: fault } } : { effect: { phase, kind: fault } };
}

describe.each(SCENARIOS)('fault table: $name', (scenario) => {
  it('the written-out path is the planner’s path for this release', () => {
    expect(updatePlan({ release: V1, gen: 1, slots: V1_SLOTS }, scenario.target).path).toEqual(scenario.path);
  });

  it('every phase of the path has an expected outcome for every fault', () => {
    for (const phase of scenario.path) expect(Object.keys(scenario.expected[phase] ?? {}).sort(), phase).toEqual([...FAULTS].sort());
  });

  it('without faults: every phase once, committed on v2', async () => {
    const run = await runUpdate(scenario.target);
    expect(run.path).toEqual([...scenario.path, 'idle']);
    expect(run.state.current.release?.version).toBe(2);
    expect(run.car.inconsistency(run.state)).toBeUndefined();
  });

  const rows = scenario.path.flatMap((phase) => FAULTS.map((fault) => ({ phase, fault, outcome: scenario.expected[phase]?.[fault] ?? ('missing' as const) })));
  it.each(rows)('$fault in $phase → $outcome', async ({ phase, fault, outcome }) => {
    expect(outcome).not.toBe('missing');
    const expected = expectedRun(scenario.path, phase, outcome as Outcome);
    const run = await runUpdate(scenario.target, inject(phase, fault));
    expect(run.faultFired).toBe(true);
    expect(run.path).toEqual(expected.path);
    expect(run.state.current.release?.version).toBe(expected.endsOn);
    expect(run.state.phase).toBe(expected.endsOn === 2 ? 'idle' : 'failed');
    // the car really runs what the journal says: every service once, from its slot, the right model and generation
    expect(run.car.inconsistency(run.state)).toBeUndefined();
    expect(run.car.hardwareConflicts).toEqual([]);
  });
});
