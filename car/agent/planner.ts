/**
 * The update planner: what to do next is a pure function of the journaled state, the verified target
 * release and the latest observations, returning one step and the state to journal once the step
 * succeeded (`planFailure` gives the state when it failed). Modelled on balena-supervisor's step
 * planner and Mender's transition table; the executor only performs steps and journals.
 *
 * Rules the table keeps:
 * - a target not newer than the installed version is refused, even when signed (rollback attack);
 * - all changed services of a release switch together (one generation switch) or none does;
 * - a new version is healthy only on a positive signal before the deadline: a timeout, a crash or an
 *   unhealthy report rolls back, a timeout is never success;
 * - interrupting a service (kill/delete strategies, or one that owns hardware) waits for a stopped car;
 * - a model-only release is swapped inside the running pilot, no process restarts.
 */
import { DRIVE_PUBLISHERS } from '../updatable-services.ts';
import {
  bytesToDownload,
  diffReleases,
  missingBlobs,
  releaseBlobs,
  sameContent,
  sumBytes,
  type ModelRelease,
  type Release,
  type ReleaseDiff,
  type ReleaseFile,
} from './release.ts';
import {
  currentVersion,
  otherSlot,
  type AfterRollback,
  type AgentState,
  type Candidate,
  type FailedState,
  type IdleState,
  type Installed,
  type RollingBackState,
  type Slot,
  type UpdatePhase,
  type UpdatingState,
} from './state.ts';

export interface PlannerConfig {
  /** how long a new version has to report healthy */
  healthTimeoutMs: number;
  /** tries of one candidate (step errors in the download phases, agent restarts) before it fails */
  maxAttempts: number;
  /** first back-off after a failed step; doubles per attempt */
  retryDelayMs: number;
  /** free space kept on top of what a release needs */
  reserveBytes: number;
  /** services whose drive commands the actuator gates by generation */
  drivePublishers: readonly string[];
  /**
   * services that run on the car before any release lists them (the factory code, from slot A):
   * a release that first ships one hands over from the factory process like from an installed one
   */
  baseline: readonly string[];
}

export const DEFAULT_PLANNER_CONFIG: PlannerConfig = {
  healthTimeoutMs: 30_000,
  maxAttempts: 3,
  retryDelayMs: 2_000,
  reserveBytes: 0,
  drivePublishers: DRIVE_PUBLISHERS,
  baseline: [],
};

export type ServiceHealth =
  | { status: 'starting' }
  | { status: 'healthy' }
  | { status: 'unhealthy'; reason: string }
  | { status: 'exited'; code: number | null; signal: string | null };

export interface Observations {
  /** wall clock, ms */
  now: number;
  /** speed ≈ 0 and throttle neutral */
  carStopped: boolean;
  /** sha256 of every complete, verified blob on the car */
  blobsPresent: ReadonlySet<string>;
  /** health of the candidate's new processes, by service name */
  health: Readonly<Record<string, ServiceHealth>>;
}

/** A service process is known by its name, the slot it runs from and the generation it drives with. */
export interface ServiceInstance {
  name: string;
  slot: Slot;
  gen: number;
}

export interface SlotRef {
  service: string;
  slot: Slot;
}

export interface StageTarget extends SlotRef {
  files: ReleaseFile[];
}

export type Step =
  | { kind: 'noop' }
  /** no I/O: only the state changes */
  | { kind: 'transition'; reason: string }
  /** re-plan at `until` or when an observation changes, whichever is first */
  | { kind: 'wait'; reason: string; until?: number }
  | { kind: 'refuse'; version: number; reason: string }
  | { kind: 'stop-old'; instances: ServiceInstance[] }
  /** wipe these inactive slots and every blob not in keepBlobs, before downloading */
  | { kind: 'delete'; slots: SlotRef[]; keepBlobs: string[] }
  | { kind: 'check-space'; needBytes: number }
  | { kind: 'download'; blobs: ReleaseFile[]; totalBytes: number }
  | { kind: 'stage'; targets: StageTarget[] }
  | { kind: 'start-new'; instances: ServiceInstance[]; release: Release }
  | { kind: 'switch-generation'; gen: number }
  | { kind: 'swap-model'; model: ModelRelease | undefined }
  | { kind: 'commit'; release: Release }
  /** idempotent: stop the new instances, make sure the old ones run, give the actuator back to the old generation */
  | {
      kind: 'rollback';
      reason: string;
      stop: ServiceInstance[];
      ensure: ServiceInstance[];
      release: Release | undefined;
      gen: number;
      /** set when the running pilot may hold the candidate's model */
      swapModel?: { model: ModelRelease | undefined };
    };

export type StepKind = Step['kind'];

export interface Planned {
  step: Step;
  /** the state to journal once the step has succeeded */
  next: AgentState;
}

export type FailureKind = 'error' | 'timeout' | 'no-space';

export interface Failure {
  kind: FailureKind;
  message: string;
}

/** How a candidate is applied, derived from the installed and the target release. */
export interface UpdatePlan {
  diff: ReleaseDiff;
  /** installed services stopped before their replacement starts (kill/delete strategies, hardware owners) */
  interrupt: string[];
  /** installed services stopped after the generation switch (hand-over) */
  stopAfter: string[];
  /** a kill/delete strategy: interrupt before downloading rather than after staging */
  interruptEarly: boolean;
  switchesGen: boolean;
  modelOnly: boolean;
  /** the phases this candidate goes through, in order */
  path: UpdatePhase[];
}

export function updatePlan(current: Installed, release: Release, config: PlannerConfig = DEFAULT_PLANNER_CONFIG): UpdatePlan {
  const diff = diffReleases(current.release, release);
  const installed = new Set([...Object.keys(current.release?.services ?? {}), ...config.baseline]);
  const interrupt = diff.changed.filter((name) => {
    const spec = release.services[name]!;
    return installed.has(name) && (spec.strategy !== 'handover' || spec.needsHardware);
  });
  const stopAfter = [...diff.changed.filter((name) => installed.has(name) && !interrupt.includes(name)), ...diff.removed];
  const interruptEarly = interrupt.some((name) => release.services[name]!.strategy !== 'handover');
  const deleteFirst = diff.changed.some((name) => release.services[name]!.strategy === 'delete-then-download');
  const switchesGen = diff.changed.some((name) => config.drivePublishers.includes(name));
  const modelOnly = diff.changed.length === 0 && diff.removed.length === 0;

  const path: UpdatePhase[] = [];
  if (modelOnly) {
    path.push('checking-space', 'downloading');
    if (diff.modelChanged) path.push('swapping-model');
    path.push('committing');
    return { diff, interrupt, stopAfter, interruptEarly, switchesGen, modelOnly, path };
  }
  if (interruptEarly) path.push('waiting-for-stop', 'stopping-first');
  if (deleteFirst) path.push('deleting');
  path.push('checking-space', 'downloading', 'staging');
  if (!interruptEarly && interrupt.length > 0) path.push('waiting-for-stop', 'stopping-first');
  if (diff.changed.length > 0) path.push('starting-new', 'health-check');
  if (switchesGen) path.push('switching');
  if (stopAfter.length > 0) path.push('stopping-old');
  if (diff.modelChanged) path.push('swapping-model');
  path.push('committing');
  return { diff, interrupt, stopAfter, interruptEarly, switchesGen, modelOnly, path };
}

/** Phases that change what runs on the car; from the first of them on, a failure needs a rollback. */
const APPLY_PHASES: ReadonlySet<UpdatePhase> = new Set([
  'stopping-first',
  'starting-new',
  'health-check',
  'switching',
  'stopping-old',
  'swapping-model',
  'committing',
]);
/** Phases whose errors are worth retrying in place (I/O on disk and network). */
const RETRIED_PHASES: ReadonlySet<UpdatePhase> = new Set(['waiting-for-stop', 'deleting', 'checking-space', 'downloading', 'staging']);
/** Past the health check the candidate is known good: a newer target waits for it to commit. */
const PAST_HEALTH: ReadonlySet<UpdatePhase> = new Set(['switching', 'stopping-old', 'swapping-model', 'committing']);
/** Phases in which the candidate's new processes exist. */
const NEW_RUNNING: ReadonlySet<UpdatePhase> = new Set(['health-check', 'switching', 'stopping-old', 'swapping-model', 'committing']);

/** Whether the car may already run differently from the installed release in this phase. */
export function touched(plan: UpdatePlan, phase: UpdatePhase): boolean {
  const first = plan.path.findIndex((p) => APPLY_PHASES.has(p));
  return first >= 0 && plan.path.indexOf(phase) >= first;
}

function label(release: Release | undefined): string {
  return release ? `v${release.version} (${release.label})` : 'none';
}

function base(state: AgentState): Pick<AgentState, 'v' | 'current' | 'lastGen' | 'refused' | 'lastError'> {
  return {
    v: 1,
    current: state.current,
    lastGen: state.lastGen,
    ...(state.refused === undefined ? {} : { refused: state.refused }),
    ...(state.lastError === undefined ? {} : { lastError: state.lastError }),
  };
}

function idle(state: AgentState, lastError?: string): IdleState {
  const next: IdleState = { ...base(state), phase: 'idle' };
  if (lastError !== undefined) next.lastError = lastError;
  return next;
}

function failed(state: AgentState, version: number, reason: string): FailedState {
  return { ...base(state), phase: 'failed', failedVersion: version, lastError: reason };
}

function rollingBack(state: UpdatingState | RollingBackState, reason: string, then: AfterRollback): RollingBackState {
  const { deadline: _deadline, retryAt: _retryAt, ...candidate } = state.candidate;
  return { ...base(state), phase: 'rolling-back', candidate, reason, then, rollbackAttempts: 0, lastError: reason };
}

/** The state in `phase`; the phase-scoped deadline and back-off are dropped unless a candidate is given. */
function inPhase(state: UpdatingState | RollingBackState, phase: UpdatePhase, candidate?: Candidate): UpdatingState {
  if (candidate) return { ...base(state), phase, candidate };
  const { deadline: _deadline, retryAt: _retryAt, ...rest } = state.candidate;
  return { ...base(state), phase, candidate: rest };
}

function nextPhase(plan: UpdatePlan, phase: UpdatePhase): UpdatePhase {
  const next = plan.path[plan.path.indexOf(phase) + 1];
  if (next === undefined) throw new Error(`no phase after ${phase}`);
  return next;
}

function advance(state: UpdatingState, plan: UpdatePlan, step: Step): Planned {
  return { step, next: inPhase(state, nextPhase(plan, state.phase)) };
}

function newInstances(state: UpdatingState | RollingBackState, services: readonly string[]): ServiceInstance[] {
  return services.map((name) => ({ name, slot: state.candidate.slots[name]!, gen: state.candidate.gen }));
}

function oldInstances(current: Installed, services: readonly string[]): ServiceInstance[] {
  return services.map((name) => ({ name, slot: current.slots[name] ?? 'A', gen: current.gen }));
}

/** The state after the installed release is replaced by the candidate. */
function committed(state: UpdatingState, plan: UpdatePlan): IdleState {
  const slots = { ...state.current.slots };
  for (const name of plan.diff.removed) delete slots[name];
  Object.assign(slots, state.candidate.slots);
  const { lastError: _lastError, ...rest } = base(state);
  return { ...rest, phase: 'idle', current: { release: state.candidate.release, gen: state.candidate.gen, slots } };
}

function startCandidate(state: IdleState | FailedState, target: Release, config: PlannerConfig): Planned {
  const plan = updatePlan(state.current, target, config);
  const gen = plan.switchesGen ? state.lastGen + 1 : state.current.gen;
  const slots: Record<string, Slot> = {};
  // a service without a slot runs from A (the factory code), so its first release goes to B
  for (const name of plan.diff.changed) slots[name] = otherSlot(state.current.slots[name] ?? 'A');
  const { lastError: _lastError, ...rest } = base(state);
  const next: UpdatingState = { ...rest, lastGen: Math.max(state.lastGen, gen), phase: plan.path[0]!, candidate: { release: target, gen, slots, attempts: 0 } };
  return { step: { kind: 'transition', reason: `update ${label(state.current.release)} → ${label(target)}` }, next };
}

function planSettled(state: IdleState | FailedState, target: Release | undefined, config: PlannerConfig): Planned {
  const noop: Planned = { step: { kind: 'noop' }, next: state };
  if (!target) return noop;
  const installed = currentVersion(state);
  const current = state.current.release;
  if (current && target.version === installed && sameContent(current, target)) return noop;
  if (target.version <= installed) {
    if (state.refused === target.version) return noop;
    const reason =
      target.version === installed
        ? `refused ${label(target)}: same version as installed, different content`
        : `refused ${label(target)}: older than installed ${label(current)} (rollback attack?)`;
    return { step: { kind: 'refuse', version: target.version, reason }, next: { ...state, refused: target.version, lastError: reason } };
  }
  if (state.phase === 'failed' && target.version === state.failedVersion) return noop;
  return startCandidate(state, target, config);
}

function unhealthy(plan: UpdatePlan, observations: Observations): string | undefined {
  for (const name of plan.diff.changed) {
    const health = observations.health[name];
    if (health?.status === 'exited') return `${name} exited (${health.signal ?? `code ${health.code}`})`;
    if (health?.status === 'unhealthy') return `${name} reported unhealthy: ${health.reason}`;
  }
  return undefined;
}

function planUpdate(state: UpdatingState, target: Release | undefined, observations: Observations, config: PlannerConfig): Planned {
  const { candidate, current } = state;
  const plan = updatePlan(current, candidate.release, config);
  const { now } = observations;

  if (target && target.version !== candidate.release.version && target.version > currentVersion(state) && !PAST_HEALTH.has(state.phase)) {
    const reason = `superseded by ${label(target)}`;
    if (touched(plan, state.phase)) return { step: { kind: 'transition', reason }, next: rollingBack(state, reason, 'idle') };
    return { step: { kind: 'transition', reason }, next: idle(state) };
  }
  if (NEW_RUNNING.has(state.phase)) {
    const problem = unhealthy(plan, observations);
    if (problem) return { step: { kind: 'transition', reason: problem }, next: rollingBack(state, problem, 'fail') };
  }
  if (candidate.retryAt !== undefined && now < candidate.retryAt) {
    return { step: { kind: 'wait', reason: `retry ${state.phase} (attempt ${candidate.attempts + 1})`, until: candidate.retryAt }, next: state };
  }

  switch (state.phase) {
    case 'waiting-for-stop':
      if (observations.carStopped) return advance(state, plan, { kind: 'transition', reason: 'car stopped' });
      return { step: { kind: 'wait', reason: 'waiting for the car to stop' }, next: state };
    case 'stopping-first':
      return advance(state, plan, { kind: 'stop-old', instances: oldInstances(current, plan.interrupt) });
    case 'deleting': {
      const targets = plan.diff.changed.filter((name) => candidate.release.services[name]!.strategy === 'delete-then-download');
      const keep = new Set([...(current.release ? releaseBlobs(current.release) : []), ...releaseBlobs(candidate.release)].map((f) => f.sha256));
      return advance(state, plan, { kind: 'delete', slots: targets.map((service) => ({ service, slot: candidate.slots[service]! })), keepBlobs: [...keep].sort() });
    }
    case 'checking-space': {
      const staged = sumBytes(plan.diff.changed.flatMap((name) => candidate.release.services[name]!.files));
      const needBytes = bytesToDownload(current.release, candidate.release, observations.blobsPresent) + staged + config.reserveBytes;
      return advance(state, plan, { kind: 'check-space', needBytes });
    }
    case 'downloading': {
      const wanted = releaseBlobs(candidate.release, plan.diff.changed, plan.diff.modelChanged);
      const blobs = missingBlobs(wanted, observations.blobsPresent);
      if (blobs.length === 0) return advance(state, plan, { kind: 'transition', reason: 'all blobs present' });
      return advance(state, plan, { kind: 'download', blobs, totalBytes: sumBytes(wanted) });
    }
    case 'staging':
      return advance(state, plan, {
        kind: 'stage',
        targets: plan.diff.changed.map((service) => ({ service, slot: candidate.slots[service]!, files: candidate.release.services[service]!.files })),
      });
    case 'starting-new': {
      const step: Step = { kind: 'start-new', instances: newInstances(state, plan.diff.changed), release: candidate.release };
      return { step, next: inPhase(state, 'health-check', { ...candidate, deadline: now + config.healthTimeoutMs }) };
    }
    case 'health-check': {
      const deadline = candidate.deadline ?? now;
      if (plan.diff.changed.every((name) => observations.health[name]?.status === 'healthy')) {
        return advance(state, plan, { kind: 'transition', reason: 'new version healthy' });
      }
      if (now >= deadline) {
        const reason = `no healthy signal within ${config.healthTimeoutMs} ms`;
        return { step: { kind: 'transition', reason }, next: rollingBack(state, reason, 'fail') };
      }
      return { step: { kind: 'wait', reason: 'waiting for the new version to report healthy', until: deadline }, next: state };
    }
    case 'switching':
      return advance(state, plan, { kind: 'switch-generation', gen: candidate.gen });
    case 'stopping-old':
      return advance(state, plan, { kind: 'stop-old', instances: oldInstances(current, plan.stopAfter) });
    case 'swapping-model':
      return advance(state, plan, { kind: 'swap-model', model: candidate.release.model });
    case 'committing':
      return { step: { kind: 'commit', release: candidate.release }, next: committed(state, plan) };
  }
}

function planRollback(state: RollingBackState, observations: Observations, config: PlannerConfig): Planned {
  const { candidate, current } = state;
  if (state.retryAt !== undefined && observations.now < state.retryAt) {
    return { step: { kind: 'wait', reason: `retry rollback (attempt ${state.rollbackAttempts + 1})`, until: state.retryAt }, next: state };
  }
  const plan = updatePlan(current, candidate.release, config);
  const installed = [...Object.keys(current.release?.services ?? {}), ...config.baseline];
  const step: Step = {
    kind: 'rollback',
    reason: state.reason,
    stop: newInstances(state, plan.diff.changed),
    ensure: oldInstances(current, [...plan.diff.changed, ...plan.diff.removed].filter((name) => installed.includes(name))),
    release: current.release,
    gen: current.gen,
    ...(plan.path.includes('swapping-model') ? { swapModel: { model: current.release?.model } } : {}),
  };
  let next: AgentState;
  if (state.then === 'idle') next = idle(state, state.reason);
  else if (state.then === 'retry') next = inPhase(state, plan.path[0]!, { release: candidate.release, gen: candidate.gen, slots: candidate.slots, attempts: candidate.attempts + 1 });
  else next = failed(state, candidate.release.version, state.reason);
  return { step, next };
}

/** The next step and the state to journal once it succeeds. Pure. */
export function plan(state: AgentState, target: Release | undefined, observations: Observations, config: PlannerConfig = DEFAULT_PLANNER_CONFIG): Planned {
  switch (state.phase) {
    case 'idle':
    case 'failed':
      return planSettled(state, target, config);
    case 'rolling-back':
      return planRollback(state, observations, config);
    default:
      return planUpdate(state, target, observations, config);
  }
}

function backoff(config: PlannerConfig, attempts: number): number {
  return config.retryDelayMs * 2 ** Math.max(0, attempts - 1);
}

/** The state to journal when the step planned from `state` failed. Pure. */
export function planFailure(state: AgentState, failure: Failure, now: number, config: PlannerConfig = DEFAULT_PLANNER_CONFIG): AgentState {
  const what = `${state.phase}: ${failure.kind === 'timeout' ? 'timed out' : failure.message}`;
  switch (state.phase) {
    case 'idle':
    case 'failed':
      return { ...state, lastError: what };
    case 'rolling-back': {
      const attempts = state.rollbackAttempts + 1;
      if (attempts >= config.maxAttempts) return failed(state, state.candidate.release.version, `rollback failed: ${what} (after ${state.reason})`);
      return { ...state, rollbackAttempts: attempts, retryAt: now + backoff(config, attempts), lastError: what };
    }
    default: {
      const plan = updatePlan(state.current, state.candidate.release, config);
      const attempts = state.candidate.attempts + 1;
      if (RETRIED_PHASES.has(state.phase) && failure.kind !== 'no-space' && attempts < config.maxAttempts) {
        return { ...state, candidate: { ...state.candidate, attempts, retryAt: now + backoff(config, attempts) }, lastError: what };
      }
      if (touched(plan, state.phase)) return rollingBack(state, what, 'fail');
      return failed(state, state.candidate.release.version, what);
    }
  }
}

/**
 * What a restarted agent does with the journaled state (after a crash, a kill -9 or a power cut).
 * Before anything ran differently, the update resumes where it was (downloads resume from the blobs
 * and partial files on disk); once the car may run differently, it rolls back to the installed
 * release and then tries again, because the new processes (and their health) died with the agent
 * or the reboot. Each restart counts as an attempt, so a release that keeps killing the agent fails.
 * Pure.
 */
export function recover(state: AgentState, config: PlannerConfig = DEFAULT_PLANNER_CONFIG): AgentState {
  if (state.phase === 'rolling-back') {
    const { retryAt: _retryAt, ...rest } = state;
    return rest;
  }
  if (state.phase === 'idle' || state.phase === 'failed') return state;
  const plan = updatePlan(state.current, state.candidate.release, config);
  const attempts = state.candidate.attempts + 1;
  const reason = `agent restarted during ${state.phase}`;
  if (touched(plan, state.phase)) return rollingBack(state, reason, attempts < config.maxAttempts ? 'retry' : 'fail');
  if (attempts >= config.maxAttempts) return failed(state, state.candidate.release.version, `${reason}, ${attempts} times`);
  const { deadline: _deadline, retryAt: _retryAt, ...candidate } = state.candidate;
  return { ...inPhase(state, state.phase, { ...candidate, attempts }), lastError: reason };
}
