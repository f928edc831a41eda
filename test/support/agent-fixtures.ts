/** Releases and a harness shared by the agent's tests. */
import { UpdateExecutor, type ExecutorOptions } from '../../car/agent/executor.ts';
import { AgentKilled, FakeCar, RecordingJournal, fileOf, type EffectFault, type JournalFault } from './fake-car.ts';
import type { PlannerConfig } from '../../car/agent/planner.ts';
import type { Release, ReleaseFile, ServiceRelease } from '../../car/agent/release.ts';
import { initialState, type AgentState, type Phase, type Slot } from '../../car/agent/state.ts';

function service(files: ReleaseFile[], strategy: ServiceRelease['strategy'], needsHardware = false): ServiceRelease {
  return { entry: 'service.js', files, strategy, needsHardware, externals: [] };
}

/** v1 as installed: a hand-over pilot, the actuator owning the I2C bus, a kill and a delete strategy service. */
export const V1: Release = {
  schema: 1,
  version: 1,
  createdAt: '2025-01-01T00:00:00.000Z',
  label: 'baseline',
  services: {
    pilot: service([fileOf('service.js', 'pilot 1')], 'handover'),
    actuator: service([fileOf('service.js', 'actuator 1')], 'handover', true),
    camera: service([fileOf('service.js', 'camera 1')], 'kill-then-download', true),
    uplink: service([fileOf('service.js', 'uplink 1')], 'delete-then-download'),
  },
  model: { name: 'pilot-model', files: [fileOf('model.json', 'model 1'), fileOf('weights.bin', 'weights 1')] },
};

/** Hand-over of the pilot, the actuator (waits for a stopped car) and a new model, together. */
export const V2_HANDOVER: Release = {
  ...V1,
  version: 2,
  label: 'new pilot and actuator',
  services: {
    ...V1.services,
    pilot: service([fileOf('service.js', 'pilot 2'), fileOf('lib.js', 'pilot lib 2')], 'handover'),
    actuator: service([fileOf('service.js', 'actuator 2')], 'handover', true),
  },
  model: { name: 'pilot-model', files: [fileOf('model.json', 'model 2'), fileOf('weights.bin', 'weights 2')] },
};

/** The constrained strategies: the camera is killed, the uplink deleted, before downloading. */
export const V2_CONSTRAINED: Release = {
  ...V1,
  version: 2,
  label: 'new camera and uplink',
  services: {
    ...V1.services,
    camera: service([fileOf('service.js', 'camera 2')], 'kill-then-download', true),
    uplink: service([fileOf('service.js', 'uplink 2')], 'delete-then-download'),
  },
};

export const V2_MODEL_ONLY: Release = {
  ...V1,
  version: 2,
  label: 'retrained model',
  model: { name: 'pilot-model', files: [fileOf('model.json', 'model 2'), fileOf('weights.bin', 'weights 3')] },
};

export const HARDWARE = ['actuator', 'camera'];
export const V1_SLOTS: Record<string, Slot> = { pilot: 'A', actuator: 'A', camera: 'A', uplink: 'A' };

export const TEST_CONFIG: Partial<PlannerConfig> = { healthTimeoutMs: 400, retryDelayMs: 1, maxAttempts: 3 };

export interface Injected {
  /** an error or a hang of the effect performed in `phase` (the journal write for 'committing') */
  effect?: { phase: Phase; kind: EffectFault };
  /** the agent dies right after journaling `phase`; a power cut also reboots the car */
  death?: { phase: Phase; kind: 'kill' | 'power-cut' };
}

export interface Run {
  /** journaled phases in order; '↻' where the agent restarted */
  path: string[];
  state: AgentState;
  car: FakeCar;
  restarts: number;
  /** whether the injected fault happened at all */
  faultFired: boolean;
}

/** Updates a car running V1 to `target` with one injected fault, restarting the agent when it dies. */
export async function runUpdate(target: Release, injected: Injected = {}, setup?: (car: FakeCar) => void, options: Partial<ExecutorOptions> = {}): Promise<Run> {
  const car = new FakeCar(V1, 1, HARDWARE);
  setup?.(car);
  const journal = new RecordingJournal();
  journal.seed(initialState({ release: V1, gen: 1, slots: V1_SLOTS }));
  if (injected.effect?.phase === 'committing') journal.fault = { kind: injected.effect.kind, phase: 'committing' } satisfies JournalFault;
  else if (injected.effect) car.fault = injected.effect;
  if (injected.death) journal.fault = injected.death;
  journal.onKill = (state, kind) => {
    if (kind === 'power-cut') car.boot(state.current.release, state.current.gen, state.current.slots);
  };
  let restarts = 0;
  for (;;) {
    const executor = await UpdateExecutor.open({
      effects: car,
      journal,
      target: () => target,
      config: TEST_CONFIG,
      stepTimeoutMs: 150,
      downloadStallMs: 150,
      observeTimeoutMs: 150,
      pollMs: 2,
      ...options,
    });
    car.phase = () => executor.state.phase;
    try {
      const state = await executor.runUntilSettled();
      return { path: journal.path, state, car, restarts, faultFired: car.faultFired || journal.fired };
    } catch (error) {
      // a kill -9, or a journal write that failed: the process dies and starts again from disk
      if (!(error instanceof AgentKilled) && !(error instanceof Error && /journal/.test(error.message))) throw error;
      journal.path.push('↻');
      if (++restarts > 5) throw new Error(`agent restarted ${restarts} times`, { cause: error });
    }
  }
}
