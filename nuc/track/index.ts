/**
 * The shared track on the NUC: every car's pose (`nuc/track/poses`), resets, race control with its
 * standings and results, and the routes for them. The server runs it and pushes it to the browsers.
 */
export { TrackGeometry } from './geometry.ts';
export type { TrackOutline } from './geometry.ts';
export { RaceControl, RaceControlError } from './race-control.ts';
export type { NewRace, RaceControlOptions, TrackSinks } from './race-control.ts';
export type { EntryStatus, RaceView, Standing } from './race.ts';
export { RaceStore, RACES_DB } from './race-store.ts';
export type { RaceResult } from './race-store.ts';
export { trackRoutes } from './routes.ts';
export type { RaceReply, RacesReply, ResetReply, TrackReply, TrackRoutesOptions } from './routes.ts';
