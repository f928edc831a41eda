/**
 * The agent's journaled state: one named phase of the transition table, the installed release and,
 * while updating, the candidate. Each phase carries only the fields it needs, so an update without
 * a candidate (or a failure without a reason) cannot be written down.
 */
import { checkManifest } from '../../protocol/index.ts';
import type { Release } from './release.ts';

export type Slot = 'A' | 'B';

export function otherSlot(slot: Slot): Slot {
  return slot === 'A' ? 'B' : 'A';
}

/**
 * Update phases in the order they can occur; a candidate's own path is a subsequence of this list
 * (see `updatePath`). Services have their own A/B slot each: a service the release leaves alone keeps
 * running from its slot, so staging another service never writes under a running process.
 */
export const UPDATE_PHASES = [
  'waiting-for-stop',
  'stopping-first',
  'deleting',
  'checking-space',
  'downloading',
  'staging',
  'starting-new',
  'health-check',
  'switching',
  'stopping-old',
  'swapping-model',
  'committing',
] as const;
export type UpdatePhase = (typeof UPDATE_PHASES)[number];
export const PHASES = ['idle', ...UPDATE_PHASES, 'rolling-back', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

export interface Installed {
  /** undefined on a car that has never installed a release */
  release: Release | undefined;
  /** the active drive generation: the actuator follows only this generation's pilot */
  gen: number;
  /** the slot each installed service runs from */
  slots: Record<string, Slot>;
}

export interface Candidate {
  release: Release;
  gen: number;
  /** the slot each changed service is staged into (the other one of its current slot) */
  slots: Record<string, Slot>;
  /** failed tries of this candidate so far (download errors, agent restarts) */
  attempts: number;
  /** health-check deadline, wall clock ms */
  deadline?: number;
  /** do not retry the phase's step before this time (back-off) */
  retryAt?: number;
}

interface Common {
  v: 1;
  current: Installed;
  /** the highest generation ever handed out; never reused, so the actuator never confuses two pilots */
  lastGen: number;
  /** the last version refused as a rollback (reported once, then ignored) */
  refused?: number;
  lastError?: string;
}

export interface IdleState extends Common {
  phase: 'idle';
}

export interface FailedState extends Common {
  phase: 'failed';
  /** not retried: only a newer version starts another update */
  failedVersion: number;
  lastError: string;
}

export interface UpdatingState extends Common {
  phase: UpdatePhase;
  candidate: Candidate;
}

/** What follows a successful rollback. */
export type AfterRollback = 'retry' | 'fail' | 'idle';

export interface RollingBackState extends Common {
  phase: 'rolling-back';
  candidate: Candidate;
  reason: string;
  then: AfterRollback;
  rollbackAttempts: number;
  retryAt?: number;
}

export type AgentState = IdleState | FailedState | UpdatingState | RollingBackState;

export function isUpdating(state: AgentState): state is UpdatingState {
  return (UPDATE_PHASES as readonly string[]).includes(state.phase);
}

export function currentVersion(state: AgentState): number {
  return state.current.release?.version ?? 0;
}

/** The state of a car before its first update, or of one installed by other means. */
export function initialState(installed: Partial<Installed> = {}): IdleState {
  const gen = installed.gen ?? 0;
  return { v: 1, phase: 'idle', current: { release: installed.release, gen, slots: installed.slots ?? {} }, lastGen: gen };
}

export class StateError extends Error {
  override name = 'StateError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new StateError(`${where} must be a non-negative integer`);
  return value;
}

function optionalTime(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new StateError(`${where} must be a number`);
  return value;
}

function slots(value: unknown, where: string): Record<string, Slot> {
  if (!isRecord(value)) throw new StateError(`${where} must be an object`);
  for (const [name, slot] of Object.entries(value)) if (slot !== 'A' && slot !== 'B') throw new StateError(`${where}.${name} must be 'A' or 'B'`);
  return value as Record<string, Slot>;
}

function release(value: unknown, where: string): Release {
  try {
    return checkManifest(value);
  } catch (error) {
    throw new StateError(`${where}: ${(error as Error).message}`);
  }
}

function candidate(value: unknown): Candidate {
  if (!isRecord(value)) throw new StateError('state.candidate must be an object');
  const deadline = optionalTime(value.deadline, 'state.candidate.deadline');
  const retryAt = optionalTime(value.retryAt, 'state.candidate.retryAt');
  return {
    release: release(value.release, 'state.candidate.release'),
    gen: count(value.gen, 'state.candidate.gen'),
    slots: slots(value.slots, 'state.candidate.slots'),
    attempts: count(value.attempts, 'state.candidate.attempts'),
    ...(deadline === undefined ? {} : { deadline }),
    ...(retryAt === undefined ? {} : { retryAt }),
  };
}

/** Validates a state read back from the journal; throws a StateError naming the bad field. */
export function parseAgentState(raw: unknown): AgentState {
  if (!isRecord(raw)) throw new StateError('state must be an object');
  if (raw.v !== 1) throw new StateError('state.v must be 1');
  if (typeof raw.phase !== 'string' || !(PHASES as readonly string[]).includes(raw.phase)) throw new StateError(`state.phase must be one of ${PHASES.join(', ')}`);
  const phase = raw.phase as Phase;
  if (!isRecord(raw.current)) throw new StateError('state.current must be an object');
  const current: Installed = {
    release: raw.current.release === undefined ? undefined : release(raw.current.release, 'state.current.release'),
    gen: count(raw.current.gen, 'state.current.gen'),
    slots: slots(raw.current.slots, 'state.current.slots'),
  };
  const common: Common = {
    v: 1,
    current,
    lastGen: count(raw.lastGen, 'state.lastGen'),
    ...(raw.refused === undefined ? {} : { refused: count(raw.refused, 'state.refused') }),
    ...(typeof raw.lastError === 'string' ? { lastError: raw.lastError } : {}),
  };
  if (phase === 'idle') return { ...common, phase };
  if (phase === 'failed') {
    if (typeof raw.lastError !== 'string') throw new StateError('state.lastError must be a string when failed');
    return { ...common, phase, failedVersion: count(raw.failedVersion, 'state.failedVersion'), lastError: raw.lastError };
  }
  if (phase === 'rolling-back') {
    if (typeof raw.reason !== 'string') throw new StateError('state.reason must be a string when rolling back');
    if (raw.then !== 'retry' && raw.then !== 'fail' && raw.then !== 'idle') throw new StateError("state.then must be 'retry', 'fail' or 'idle'");
    const retryAt = optionalTime(raw.retryAt, 'state.retryAt');
    return {
      ...common,
      phase,
      candidate: candidate(raw.candidate),
      reason: raw.reason,
      then: raw.then,
      rollbackAttempts: count(raw.rollbackAttempts, 'state.rollbackAttempts'),
      ...(retryAt === undefined ? {} : { retryAt }),
    };
  }
  return { ...common, phase, candidate: candidate(raw.candidate) };
}
