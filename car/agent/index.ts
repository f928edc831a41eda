/** The car's update agent: a pure planner, its journal and a small executor of I/O effects. */
export { STRATEGIES, ReleaseError, bytesToDownload, changedServices, diffReleases, isModelOnly, missingBlobs, parseRelease, releaseBlobs, sameContent, sumBytes } from './release.ts';
export type { ModelRelease, Release, ReleaseDiff, ReleaseFile, ServiceRelease, Strategy } from './release.ts';
export { PHASES, UPDATE_PHASES, StateError, currentVersion, initialState, isUpdating, otherSlot, parseAgentState } from './state.ts';
export type { AfterRollback, AgentState, Candidate, FailedState, IdleState, Installed, Phase, RollingBackState, Slot, UpdatePhase, UpdatingState } from './state.ts';
export { DEFAULT_PLANNER_CONFIG, plan, planFailure, recover, touched, updatePlan } from './planner.ts';
export type {
  Failure,
  FailureKind,
  Observations,
  Planned,
  PlannerConfig,
  ServiceHealth,
  ServiceInstance,
  SlotRef,
  StageTarget,
  Step,
  StepKind,
  UpdatePlan,
} from './planner.ts';
export { FileJournal, MemoryJournal, decodeJournal, encodeJournal } from './journal.ts';
export type { JournalLoad, JournalSource, JournalStore } from './journal.ts';
export { InsufficientSpace, StepTimeout, UpdateExecutor, atRest, isCarStopped, reportOf } from './executor.ts';
export type { AgentEffects, AgentReport, CarState, ExecutorOptions, ExitInfo, RunningService } from './executor.ts';
export { agentPaths, slotDir, type AgentPaths } from './agent-paths.ts';
export { BlobError, BlobStore, type BlobStoreOptions } from './blob-store.ts';
export { SlotStore } from './slot-store.ts';
export { ServiceProcesses, instanceKey, type LaunchSpec, type ServiceProcessesOptions } from './service-processes.ts';
export { CarLink, type CarSnapshot } from './car-link.ts';
export { CarEffects, modelVersion, type CarEffectsOptions } from './car-effects.ts';
