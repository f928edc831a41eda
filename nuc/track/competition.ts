/**
 * A competition: the format an organiser runs over several sessions, as pure state kept as JSON in
 * the race record. It says which session comes next (a time-trial run, a heat, a bracket match),
 * takes each session's result when it is closed, and ranks the field by the format's rule (see
 * formats/). A bracket or heats are seeded from a time trial's ranking (or the order given).
 */
import {
  isComplete,
  makeBracket,
  nextMatch,
  placings,
  planHeats,
  rankHeats,
  rankTimeTrial,
  recordWinner,
  type Bracket,
  type HeatResult,
  type Lap,
  type Placing,
  type TrialRank,
  type TrialStanding,
  type HeatStanding,
} from './formats/index.ts';
import type { Standing } from './race.ts';

export type CompetitionKind = 'time-trial' | 'heats' | 'single-elimination' | 'double-elimination';

export type CompetitionConfig =
  | { kind: 'time-trial'; name: string; cars: string[]; minutes: number; runsPerRacer: number; rank: TrialRank }
  | { kind: 'heats'; name: string; cars: string[]; size: number; laps: number }
  | { kind: 'single-elimination' | 'double-elimination'; name: string; cars: string[]; laps: number };

/** A session the competition asks for next. */
export type SessionPlan =
  | { kind: 'trial'; cars: [string]; minutes: number; label: string; ref: string }
  | { kind: 'race'; cars: string[]; laps: number; label: string; ref: string };

export interface SessionRecord {
  ref: string;
  raceId: number;
  label: string;
  standings: Standing[];
  /** trial runs: the run's counted laps */
  laps?: Lap[];
}

export interface CompetitionState {
  id: number;
  config: CompetitionConfig;
  sessions: SessionRecord[];
  bracket?: Bracket;
  heats?: string[][];
}

export type CompetitionStandings =
  | { kind: 'time-trial'; rows: TrialStanding[] }
  | { kind: 'heats'; rows: HeatStanding[] }
  | { kind: 'bracket'; rows: Placing[]; bracket: Bracket };

export class CompetitionError extends Error {
  override name = 'CompetitionError';
}

export function startCompetition(id: number, config: CompetitionConfig): CompetitionState {
  if (config.cars.length === 0) throw new CompetitionError('a competition needs at least one car');
  if (new Set(config.cars).size !== config.cars.length) throw new CompetitionError('a car can only be entered once');
  const state: CompetitionState = { id, config, sessions: [] };
  if (config.kind === 'heats') state.heats = planHeats(config.cars, config.size);
  if (config.kind === 'single-elimination' || config.kind === 'double-elimination') {
    if (config.cars.length < 2) throw new CompetitionError('a bracket needs at least two cars');
    state.bracket = makeBracket(config.kind === 'single-elimination' ? 'single' : 'double', config.cars);
  }
  return state;
}

const runsOf = (state: CompetitionState, car: string): number => state.sessions.filter((s) => s.ref.startsWith(`run:${car}:`)).length;

/** The next session to run, or undefined when the competition is complete; `car` picks a time-trial racer. */
export function nextSession(state: CompetitionState, car?: string): SessionPlan | undefined {
  const { config } = state;
  switch (config.kind) {
    case 'time-trial': {
      if (car !== undefined) {
        if (!config.cars.includes(car)) throw new CompetitionError(`car ${car} is not entered in ${config.name}`);
        if (runsOf(state, car) >= config.runsPerRacer) throw new CompetitionError(`car ${car} has had its ${config.runsPerRacer} run${config.runsPerRacer === 1 ? '' : 's'}`);
      }
      // the racer with the fewest runs, in entry order
      const pick = car ?? [...config.cars].sort((a, b) => runsOf(state, a) - runsOf(state, b))[0]!;
      const run = runsOf(state, pick) + 1;
      if (run > config.runsPerRacer) return undefined;
      return { kind: 'trial', cars: [pick], minutes: config.minutes, label: `${config.name} · run ${run} of ${config.runsPerRacer}`, ref: `run:${pick}:${run}` };
    }
    case 'heats': {
      const heat = state.heats!.findIndex((_, i) => !state.sessions.some((s) => s.ref === `heat:${i + 1}`));
      if (heat < 0) return undefined;
      return { kind: 'race', cars: state.heats![heat]!, laps: config.laps, label: `${config.name} · heat ${heat + 1} of ${state.heats!.length}`, ref: `heat:${heat + 1}` };
    }
    default: {
      const next = nextMatch(state.bracket!);
      if (!next) return undefined;
      return { kind: 'race', cars: next.cars, laps: config.laps, label: `${config.name} · ${next.match.label}`, ref: `match:${next.match.id}` };
    }
  }
}

/** The state with a closed session's result in it. */
export function recordSession(state: CompetitionState, record: SessionRecord): CompetitionState {
  if (state.sessions.some((s) => s.ref === record.ref)) throw new CompetitionError(`${record.ref} already has a result`);
  const next: CompetitionState = { ...state, sessions: [...state.sessions, record] };
  if (record.ref.startsWith('match:')) {
    const winner = record.standings.find((s) => s.position === 1);
    if (!winner) throw new CompetitionError(`${record.label} has no winner`);
    next.bracket = recordWinner(state.bracket!, record.ref.slice('match:'.length), winner.car);
  }
  return next;
}

export function isFinished(state: CompetitionState): boolean {
  return nextSession(state) === undefined && (!state.bracket || isComplete(state.bracket));
}

export function competitionStandings(state: CompetitionState): CompetitionStandings {
  const { config } = state;
  switch (config.kind) {
    case 'time-trial':
      return {
        kind: 'time-trial',
        rows: rankTimeTrial(
          config.cars.map((car) => ({ car, runs: state.sessions.filter((s) => s.ref.startsWith(`run:${car}:`)).map((s) => s.laps ?? []) })),
          config.rank,
        ),
      };
    case 'heats': {
      const results = state.heats!.map((_, i): HeatResult[] | undefined =>
        state.sessions
          .find((s) => s.ref === `heat:${i + 1}`)
          ?.standings.map((s) => ({ car: s.car, position: s.position, status: s.status, laps: s.laps, totalMs: s.totalS === null ? null : Math.round(s.totalS * 1000) })),
      );
      return { kind: 'heats', rows: rankHeats(state.heats!, results) };
    }
    default:
      return { kind: 'bracket', rows: placings(state.bracket!), bracket: state.bracket! };
  }
}

/** The cars in ranking order (to seed another competition from this one). */
export function rankedCars(state: CompetitionState): string[] {
  return competitionStandings(state).rows.map((r) => r.car);
}
