import { describe, expect, it } from 'vitest';
import { DEFAULT_PLANNER_CONFIG, plan, planFailure, recover, updatePlan, type Observations, type Step } from './planner.ts';
import { initialState, UPDATE_PHASES, type AgentState, type UpdatingState } from './state.ts';
import { V1, V1_SLOTS, V2_CONSTRAINED, V2_HANDOVER, V2_MODEL_ONLY } from '../../test/support/agent-fixtures.ts';
import type { Release } from './release.ts';

const installed = initialState({ release: V1, gen: 1, slots: V1_SLOTS });
const NOW = 1_000_000;
const obs = (patch: Partial<Observations> = {}): Observations => ({ now: NOW, carStopped: true, blobsPresent: new Set(), health: {}, ...patch });

function start(target: Release): UpdatingState {
  const { next } = plan(installed, target, obs());
  return next as UpdatingState;
}

function at(target: Release, phase: UpdatingState['phase'], patch: Partial<UpdatingState['candidate']> = {}): UpdatingState {
  const state = start(target);
  return { ...state, phase, candidate: { ...state.candidate, ...patch } };
}

describe('target selection', () => {
  it('does nothing without a target or when the target is what is installed', () => {
    expect(plan(installed, undefined, obs()).step).toEqual({ kind: 'noop' });
    expect(plan(installed, V1, obs()).step).toEqual({ kind: 'noop' });
  });

  it('refuses an older version, even signed, once, and keeps running the installed one', () => {
    const newer = { ...installed, current: { ...installed.current, release: { ...V2_HANDOVER, version: 5 } } };
    const first = plan(newer, V2_HANDOVER, obs());
    expect(first.step).toMatchObject({ kind: 'refuse', version: 2 });
    expect(first.next.current.release?.version).toBe(5);
    expect(first.next.lastError).toMatch(/older than installed/);
    expect(plan(first.next, V2_HANDOVER, obs()).step).toEqual({ kind: 'noop' });
  });

  it('refuses the installed version number with different content', () => {
    expect(plan(installed, { ...V2_HANDOVER, version: 1 }, obs()).step).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/same version/) });
  });

  it('does not retry a failed version, but starts a newer one', () => {
    const failed: AgentState = { ...installed, phase: 'failed', failedVersion: 2, lastError: 'health' };
    expect(plan(failed, V2_HANDOVER, obs()).step).toEqual({ kind: 'noop' });
    expect(plan(failed, { ...V2_HANDOVER, version: 3 }, obs()).next.phase).toBe('checking-space');
  });

  it('hands out a generation never used before, and keeps the installed one for releases without a new pilot', () => {
    const used = { ...installed, lastGen: 7 };
    expect((plan(used, V2_HANDOVER, obs()).next as UpdatingState).candidate.gen).toBe(8);
    expect((plan(used, V2_CONSTRAINED, obs()).next as UpdatingState).candidate.gen).toBe(1);
  });

  it('stages each changed service into the slot it does not run from', () => {
    const moved = { ...installed, current: { ...installed.current, slots: { ...V1_SLOTS, pilot: 'B' as const } } };
    expect((plan(moved, V2_HANDOVER, obs()).next as UpdatingState).candidate.slots).toEqual({ pilot: 'A', actuator: 'B' });
  });
});

describe('update paths per strategy', () => {
  it('hand-over downloads first, interrupts only the hardware owner, switches once', () => {
    expect(updatePlan(installed.current, V2_HANDOVER)).toMatchObject({ interrupt: ['actuator'], stopAfter: ['pilot'], switchesGen: true });
  });

  it('kill/delete strategies stop the old services before downloading', () => {
    const p = updatePlan(installed.current, V2_CONSTRAINED).path;
    expect(p.indexOf('stopping-first')).toBeLessThan(p.indexOf('downloading'));
    expect(p.indexOf('deleting')).toBeLessThan(p.indexOf('checking-space'));
    expect(p).not.toContain('stopping-old');
  });

  it('a model-only release swaps the model without starting or stopping processes', () => {
    expect(updatePlan(installed.current, V2_MODEL_ONLY).path).toEqual(['checking-space', 'downloading', 'swapping-model', 'committing']);
  });
});

describe('phases', () => {
  it('waits for the car to stop before interrupting a service', () => {
    const waiting = at(V2_CONSTRAINED, 'waiting-for-stop');
    expect(plan(waiting, V2_CONSTRAINED, obs({ carStopped: false })).step).toMatchObject({ kind: 'wait' });
    expect(plan(waiting, V2_CONSTRAINED, obs({ carStopped: true })).next.phase).toBe('stopping-first');
  });

  it('checks space for the missing blobs and the staged copies', () => {
    const step = plan(at(V2_CONSTRAINED, 'checking-space'), V2_CONSTRAINED, obs({ blobsPresent: new Set([V2_CONSTRAINED.services.camera!.files[0]!.sha256]) })).step;
    const camera = V2_CONSTRAINED.services.camera!.files[0]!.length;
    const uplink = V2_CONSTRAINED.services.uplink!.files[0]!.length;
    expect(step).toEqual({ kind: 'check-space', needBytes: uplink + camera + uplink });
  });

  it('downloads only the blobs the car lacks, and skips the download when it has them all', () => {
    const downloading = at(V2_HANDOVER, 'downloading');
    const have = new Set([V2_HANDOVER.services.pilot!.files[0]!.sha256]);
    const step = plan(downloading, V2_HANDOVER, obs({ blobsPresent: have })).step as Extract<Step, { kind: 'download' }>;
    expect(step.blobs.map((b) => b.sha256)).not.toContain([...have][0]);
    expect(step.blobs).toHaveLength(4); // pilot lib, actuator, model.json, weights
    const all = new Set([...Object.values(V2_HANDOVER.services).flatMap((s) => s.files), ...V2_HANDOVER.model!.files].map((f) => f.sha256));
    expect(plan(downloading, V2_HANDOVER, obs({ blobsPresent: all })).step.kind).toBe('transition');
  });

  it('starts every changed service in one step and switches the generation once', () => {
    const { step, next } = plan(at(V2_HANDOVER, 'starting-new'), V2_HANDOVER, obs());
    expect(step).toMatchObject({ kind: 'start-new', instances: [{ name: 'actuator', slot: 'B', gen: 2 }, { name: 'pilot', slot: 'B', gen: 2 }] });
    expect((next as UpdatingState).candidate.deadline).toBe(NOW + DEFAULT_PLANNER_CONFIG.healthTimeoutMs);
  });
});

describe('health: a positive signal before the deadline, nothing less', () => {
  const checking = at(V2_HANDOVER, 'health-check', { deadline: NOW + 100 });

  it('switches only when every new service reported healthy', () => {
    expect(plan(checking, V2_HANDOVER, obs({ health: { pilot: { status: 'healthy' }, actuator: { status: 'starting' } } })).step.kind).toBe('wait');
    expect(plan(checking, V2_HANDOVER, obs({ health: { pilot: { status: 'healthy' }, actuator: { status: 'healthy' } } })).next.phase).toBe('switching');
  });

  it('a deadline without a healthy signal rolls back, even with no error at all', () => {
    const { next } = plan(checking, V2_HANDOVER, obs({ now: NOW + 100, health: { pilot: { status: 'healthy' }, actuator: { status: 'starting' } } }));
    expect(next).toMatchObject({ phase: 'rolling-back', then: 'fail', reason: expect.stringMatching(/no healthy signal/) });
  });

  it('a crash or an unhealthy report rolls back, also after the health check passed', () => {
    const crashed = { pilot: { status: 'exited' as const, code: 1, signal: null }, actuator: { status: 'healthy' as const } };
    expect(plan(checking, V2_HANDOVER, obs({ health: crashed })).next.phase).toBe('rolling-back');
    expect(plan(at(V2_HANDOVER, 'stopping-old'), V2_HANDOVER, obs({ health: crashed })).next.phase).toBe('rolling-back');
    const unhealthy = { pilot: { status: 'unhealthy' as const, reason: 'no frames' } };
    expect(plan(checking, V2_HANDOVER, obs({ health: unhealthy })).next).toMatchObject({ phase: 'rolling-back', reason: expect.stringMatching(/no frames/) });
  });
});

describe('rollback', () => {
  it('stops every new service, restarts every old one, and gives the actuator back to the old generation', () => {
    const failing = plan(at(V2_HANDOVER, 'health-check', { deadline: NOW }), V2_HANDOVER, obs()).next;
    const { step, next } = plan(failing, V2_HANDOVER, obs());
    expect(step).toMatchObject({
      kind: 'rollback',
      stop: [{ name: 'actuator', slot: 'B', gen: 2 }, { name: 'pilot', slot: 'B', gen: 2 }],
      ensure: [{ name: 'actuator', slot: 'A', gen: 1 }, { name: 'pilot', slot: 'A', gen: 1 }],
      gen: 1,
      swapModel: { model: V1.model },
    });
    expect(next).toMatchObject({ phase: 'failed', failedVersion: 2, current: { release: V1, gen: 1 } });
  });

  it('a newer target before the health check abandons the candidate; after it, the candidate commits first', () => {
    const v3 = { ...V2_HANDOVER, version: 3 };
    expect(plan(at(V2_HANDOVER, 'downloading'), v3, obs()).next.phase).toBe('idle');
    expect(plan(at(V2_HANDOVER, 'starting-new'), v3, obs()).next).toMatchObject({ phase: 'rolling-back', then: 'idle' });
    expect(plan(at(V2_HANDOVER, 'switching'), v3, obs()).step.kind).toBe('switch-generation');
  });
});

describe('failures and restarts', () => {
  it('retries download errors with back-off, then gives up', () => {
    let state: AgentState = at(V2_HANDOVER, 'downloading');
    state = planFailure(state, { kind: 'error', message: 'ECONNRESET' }, NOW);
    expect(state).toMatchObject({ phase: 'downloading', candidate: { attempts: 1, retryAt: NOW + DEFAULT_PLANNER_CONFIG.retryDelayMs } });
    expect(plan(state, V2_HANDOVER, obs()).step.kind).toBe('wait');
    state = planFailure(state, { kind: 'timeout', message: 'stalled' }, NOW);
    expect(state).toMatchObject({ phase: 'downloading', candidate: { attempts: 2, retryAt: NOW + 2 * DEFAULT_PLANNER_CONFIG.retryDelayMs } });
    expect(planFailure(state, { kind: 'error', message: 'ECONNRESET' }, NOW)).toMatchObject({ phase: 'failed', failedVersion: 2, current: { release: V1 } });
  });

  it('no space fails at once, restoring interrupted services first', () => {
    const full = { kind: 'no-space' as const, message: 'needs 10 bytes, 3 free' };
    expect(planFailure(at(V2_HANDOVER, 'checking-space'), full, NOW)).toMatchObject({ phase: 'failed', lastError: expect.stringMatching(/3 free/) });
    expect(planFailure(at(V2_CONSTRAINED, 'checking-space'), full, NOW)).toMatchObject({ phase: 'rolling-back', then: 'fail' });
  });

  it('recover resumes before the car runs differently and rolls back after, for every phase', () => {
    const path = updatePlan(installed.current, V2_HANDOVER).path;
    const firstApply = path.indexOf('stopping-first');
    for (const phase of path) {
      const recovered = recover(at(V2_HANDOVER, phase));
      if (path.indexOf(phase) < firstApply) expect(recovered, phase).toMatchObject({ phase, candidate: { attempts: 1 } });
      else expect(recovered, phase).toMatchObject({ phase: 'rolling-back', then: 'retry' });
    }
  });

  it('a release that keeps killing the agent fails after maxAttempts', () => {
    const third = at(V2_HANDOVER, 'health-check', { attempts: DEFAULT_PLANNER_CONFIG.maxAttempts - 1 });
    expect(recover(third)).toMatchObject({ phase: 'rolling-back', then: 'fail' });
    const downloading = at(V2_HANDOVER, 'downloading', { attempts: DEFAULT_PLANNER_CONFIG.maxAttempts - 1 });
    expect(recover(downloading)).toMatchObject({ phase: 'failed' });
  });

  it('leaves settled states alone and never loses the installed release', () => {
    expect(recover(installed)).toBe(installed);
    for (const phase of UPDATE_PHASES) expect(recover(at(V2_HANDOVER, phase)).current.release).toBe(V1);
  });
});

describe('baseline services (factory code before any release)', () => {
  const factory = initialState();
  const pilotOnly: Release = { ...V1, version: 1, label: 'first pilot', services: { pilot: V2_HANDOVER.services.pilot! } };
  const config = { ...DEFAULT_PLANNER_CONFIG, baseline: ['actuator', 'camera', 'pilot'] };

  it('hands over from the factory pilot in slot A to the release in slot B, and stops the factory one', () => {
    const started = plan(factory, pilotOnly, obs(), config).next as UpdatingState;
    expect(started.candidate.slots).toEqual({ pilot: 'B' });
    expect(updatePlan(factory.current, pilotOnly, config).stopAfter).toEqual(['pilot']);
    const stopping: UpdatingState = { ...started, phase: 'stopping-old' };
    expect(plan(stopping, pilotOnly, obs(), config).step).toEqual({ kind: 'stop-old', instances: [{ name: 'pilot', slot: 'A', gen: 0 }] });
  });

  it('rolls back to the factory pilot', () => {
    const started = plan(factory, pilotOnly, obs(), config).next as UpdatingState;
    const failing: UpdatingState = { ...started, phase: 'health-check', candidate: { ...started.candidate, deadline: NOW - 1 } };
    const rollingBack = plan(failing, pilotOnly, obs(), config).next;
    expect(plan(rollingBack, pilotOnly, obs(), config).step).toMatchObject({ kind: 'rollback', ensure: [{ name: 'pilot', slot: 'A', gen: 0 }], gen: 0 });
  });

  it('without a baseline, a first release of a service has nothing to stop', () => {
    expect(updatePlan(factory.current, pilotOnly).stopAfter).toEqual([]);
  });
});
