/** The NUC server: HTTP API, live sockets and the dashboard. The service itself is `service.ts`. */
export { buildServer, buildNucServer } from './app.ts';
export type { MessageFeed, NucServer, ServerOptions } from './app.ts';
export { mapBrowserInput, DEFAULT_BROWSER_INPUT_LIMITS } from './browser-input.ts';
export type { BrowserControl, BrowserInputLimits, BrowserInputRejection, BrowserInputResult } from './browser-input.ts';
export { CarActionSchema, parseCarAction } from './actions.ts';
export type { CarAction } from './actions.ts';
export type { ControlFields, ControlSink } from './control-relay.ts';
export { FleetState } from './fleet-state.ts';
export type { CarState, ServiceReport } from './fleet-state.ts';
export { SettingsStore, SettingsError } from './settings-store.ts';
export type { VideoFrameHeader } from './video-hub.ts';
export type { LapRecord } from './leaderboard.ts';
