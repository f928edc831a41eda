import { describe, expect, it } from 'vitest';
import { isCarStopped, reportOf } from './executor.ts';
import { runUpdate, V1, V2_CONSTRAINED, V2_HANDOVER } from '../../test/support/agent-fixtures.ts';

describe('UpdateExecutor with a simulated car', () => {
  it('applies a hand-over release and reports each state for car/<id>/agent', async () => {
    const run = await runUpdate(V2_HANDOVER);
    expect(run.state).toMatchObject({ phase: 'idle', current: { release: { version: 2 }, gen: 2, slots: { pilot: 'B', actuator: 'B', camera: 'A' } } });
    expect(run.car.inconsistency(run.state)).toBeUndefined();
    const states = run.car.reports.map((r) => r.state);
    expect(states).toContain('health-check');
    expect(run.car.reports.at(-1)).toEqual({ release: 'new pilot and actuator v2', slot: 'B', state: 'idle', progress: 1 });
    for (const report of run.car.reports) expect(report.progress).toBeGreaterThanOrEqual(0);
  });

  it('waits while the car drives before stopping a service, then applies', async () => {
    let driving = true;
    const running = runUpdate(V2_CONSTRAINED, {}, (car) => {
      const carState = car.carState.bind(car);
      car.carState = async () => (driving ? { speed: 1.2, throttle: 0.3, stoppedForMs: 0 } : carState());
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    driving = false;
    const run = await running;
    expect(run.path).toEqual(['waiting-for-stop', 'stopping-first', 'deleting', 'checking-space', 'downloading', 'staging', 'starting-new', 'health-check', 'committing', 'idle']);
    expect(run.car.reports.filter((r) => r.state === 'waiting-for-stop').length).toBeGreaterThan(0);
  });

  it('rolls back when a new process crashes before reporting healthy', async () => {
    const run = await runUpdate(V2_HANDOVER, {}, (car) => {
      car.behaviour = (instance) => (instance.name === 'pilot' && instance.gen === 2 ? 'crash' : 'healthy');
    });
    expect(run.state).toMatchObject({ phase: 'failed', failedVersion: 2, current: { release: { version: 1 }, gen: 1 } });
    expect(run.state.lastError).toMatch(/pilot exited \(code 1\)/);
    expect(run.car.inconsistency(run.state)).toBeUndefined();
    expect(run.car.reports.at(-1)).toMatchObject({ state: 'failed', error: expect.stringMatching(/pilot exited/) });
  });

  it('a version that never says healthy is rolled back at the deadline (silence is not success)', async () => {
    const run = await runUpdate(V2_HANDOVER, {}, (car) => {
      car.behaviour = (instance) => (instance.gen === 2 ? 'silent' : 'healthy');
    });
    expect(run.state).toMatchObject({ phase: 'failed', current: { release: { version: 1 } }, lastError: expect.stringMatching(/no healthy signal/) });
    expect(run.car.inconsistency(run.state)).toBeUndefined();
  });

  it('fails without touching a running service when space is short', async () => {
    const run = await runUpdate(V2_HANDOVER, {}, (car) => {
      car.free = 10;
    });
    expect(run.path).toEqual(['checking-space', 'failed']);
    expect(run.state.lastError).toMatch(/needs \d+ bytes, 10 free/);
    expect(run.car.inconsistency(run.state)).toBeUndefined();
  });

  it('refuses an older release and keeps the installed one', async () => {
    const run = await runUpdate({ ...V1, version: 1, label: 'tampered', services: V2_HANDOVER.services });
    expect(run.path).toEqual(['idle']); // the refusal is journaled once, so it is not reported again
    expect(run.state).toMatchObject({ phase: 'idle', refused: 1, current: { release: V1 } });
    expect(run.car.reports.at(-1)?.error).toMatch(/same version as installed/);
  });

  it('reports download progress between 0 and 1', async () => {
    const run = await runUpdate(V2_HANDOVER);
    const downloading = run.car.reports.filter((r) => r.state === 'downloading').map((r) => r.progress);
    expect(downloading.at(-1)).toBe(1);
    for (const progress of downloading) expect(progress).toBeLessThanOrEqual(1);
  });
});

describe('helpers', () => {
  it('a car is stopped only with speed ≈ 0 and neutral throttle, for long enough', () => {
    expect(isCarStopped({ speed: 0, throttle: 0, stoppedForMs: 1500 })).toBe(true);
    expect(isCarStopped({ speed: 0, throttle: 0, stoppedForMs: 300 })).toBe(false);
    expect(isCarStopped({ speed: 0, throttle: 0, stoppedForMs: 300 }, 200)).toBe(true);
    expect(isCarStopped({ speed: 0, throttle: 0.4, stoppedForMs: 1500 })).toBe(false);
    expect(isCarStopped({ speed: 0.5, throttle: 0, stoppedForMs: 1500 })).toBe(false);
  });

  it('reports the installed release when idle', () => {
    expect(reportOf({ v: 1, phase: 'idle', current: { release: V1, gen: 1, slots: { pilot: 'A' } }, lastGen: 1 })).toEqual({
      release: 'baseline v1',
      slot: 'A',
      state: 'idle',
      progress: 1,
    });
  });
});

describe('restart from the journal on disk', () => {
  it('an agent killed mid-update restarts from its file journal and ends consistent on the new version', async () => {
    const fs = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { FileJournal } = await import('./journal.ts');
    const { UpdateExecutor } = await import('./executor.ts');
    const { FakeCar } = await import('../../test/support/fake-car.ts');
    const { initialState } = await import('./state.ts');
    const { HARDWARE, TEST_CONFIG, V1_SLOTS } = await import('../../test/support/agent-fixtures.ts');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-restart-'));
    try {
      const car = new FakeCar(V1, 1, HARDWARE);
      const options = { effects: car, target: () => V2_HANDOVER, config: TEST_CONFIG, pollMs: 2, initial: initialState({ release: V1, gen: 1, slots: V1_SLOTS }) };
      const first = await UpdateExecutor.open({ ...options, journal: new FileJournal(path.join(dir, 'state.json')) });
      car.phase = () => first.state.phase;
      // run until the new processes run beside the old ones, then "kill -9": the executor is simply dropped
      while (first.state.phase !== 'health-check') await first.runOnce();
      expect(car.running.has('pilot@B')).toBe(true);
      const second = await UpdateExecutor.open({ ...options, journal: new FileJournal(path.join(dir, 'state.json')) });
      expect(second.state.phase).toBe('rolling-back');
      car.phase = () => second.state.phase;
      const state = await second.runUntilSettled();
      expect(state).toMatchObject({ phase: 'idle', current: { release: { version: 2 } } });
      expect(car.inconsistency(state)).toBeUndefined();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
