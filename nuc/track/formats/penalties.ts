/**
 * Penalties in seconds, as the timekeeper gives them: a reset (a marshal put the car back), an
 * off-track, a contact, and a jumped start. In a race they add to the car's race time; in a time
 * trial to the lap they were given in (as DeepRacer counts resets per lap).
 */
export const PENALTY_KINDS = ['reset', 'off-track', 'contact', 'jump-start'] as const;
export type PenaltyKind = (typeof PENALTY_KINDS)[number];

/** Seconds each kind costs. */
export type PenaltySeconds = Record<PenaltyKind, number>;

export const DEFAULT_PENALTIES: PenaltySeconds = { reset: 2, 'off-track': 1, contact: 5, 'jump-start': 5 };

export interface Penalty {
  car: string;
  kind: PenaltyKind;
  /** NUC ms when it was given (it counts in the lap running then) */
  atMs: number;
}

/** Each of `car`'s penalties as (when, ms). */
export function penaltiesOf(car: string, penalties: readonly Penalty[], seconds: PenaltySeconds): Array<{ atMs: number; ms: number }> {
  return penalties.filter((p) => p.car === car).map((p) => ({ atMs: p.atMs, ms: seconds[p.kind] * 1000 }));
}
