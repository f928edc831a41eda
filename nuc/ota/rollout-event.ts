/** One car's step from one release to another, as the rollout history keeps it (the database's rows, the release-health rules' input). */
export type RolloutOutcome = 'installed' | 'failed' | 'rolled-back';
export const ROLLOUT_OUTCOMES: readonly RolloutOutcome[] = ['installed', 'failed', 'rolled-back'];

export interface RolloutEvent {
  id: number;
  car: string;
  from: number | null;
  to: number;
  outcome: RolloutOutcome;
  error: string | null;
  at: string;
}
