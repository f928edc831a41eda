/**
 * The shared track on the NUC: every car's pose (`nuc/track/poses`), resets, and race day: sessions
 * timed from line crossings (races to N laps, time-trial runs), the timekeeper's corrections, racers,
 * competitions (time trials, heats, brackets), results in SQLite and their export, and the routes for
 * them. The server runs it and pushes it to the browsers.
 */
export { TrackGeometry } from './geometry.ts';
export type { TrackOutline } from './geometry.ts';
export { RaceControl, RaceControlError } from './race-control.ts';
export type { CompetitionView, LiveRace, NewRace, RaceControlOptions, TrackSinks, Who } from './race-control.ts';
export type { Correction, CorrectionKind, CrossingRecord, EntryStatus, LapSheet, RaceView, SessionKind, Standing } from './race.ts';
export type { Racer } from './racers.ts';
export type { CompetitionConfig, CompetitionKind, CompetitionStandings, SessionRecord } from './competition.ts';
export { DEFAULT_PENALTIES, PENALTY_KINDS } from './formats/index.ts';
export type { Bracket, HeatStanding, Match, PenaltyKind, PenaltySeconds, Placing, TrialRank, TrialStanding } from './formats/index.ts';
export { RaceStore, RACES_DB } from './race-store.ts';
export type { RaceResult, ResultStanding } from './race-store.ts';
export { trackRoutes } from './routes.ts';
export type { CompetitionsReply, RaceReply, RacersReply, RacesReply, ResetReply, TrackReply, TrackRoutesOptions } from './routes.ts';
