/**
 * The NUC server: HTTP API, live sockets and the dashboard. The service itself is `service.ts`;
 * what the server and the dashboard say to each other is `wire.ts` (types only, for the dashboard).
 */
export { buildServer, buildNucServer } from './app.ts';
export type { MessageFeed, NucServer, ServerOptions } from './app.ts';
export { FleetState } from './fleet-state.ts';
export { modelPublisher, type ModelPublisher } from './ota-signing.ts';
