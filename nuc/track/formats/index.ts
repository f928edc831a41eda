/**
 * The formats organisers run, as pure logic over line crossings: laps (with the minimum plausible lap
 * time and red flags), penalties, and each format's ranking rule: time trial, race to N laps, heats,
 * and single and double elimination brackets.
 */
export { countLaps, runningMs } from './laps.ts';
export type { CountedLaps, Lap, LapRules, Pause } from './laps.ts';
export { DEFAULT_PENALTIES, PENALTY_KINDS, penaltiesOf } from './penalties.ts';
export type { Penalty, PenaltyKind, PenaltySeconds } from './penalties.ts';
export { bestConsecutive, rankTimeTrial } from './time-trial.ts';
export type { TrialEntry, TrialRank, TrialStanding } from './time-trial.ts';
export { rankRace } from './race-ranking.ts';
export type { EntryStatus, RaceEntry, RaceRank } from './race-ranking.ts';
export { planHeats, rankHeats } from './heats.ts';
export type { HeatResult, HeatStanding } from './heats.ts';
export { BracketError, isComplete, makeBracket, matchCars, nextMatch, placings, recordWinner, seedOrder } from './bracket.ts';
export type { Bracket, BracketKind, Match, Placing, Slot } from './bracket.ts';
