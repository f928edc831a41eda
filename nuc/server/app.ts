/** The NUC's HTTP server: health, Prometheus metrics, the fleet and control API, live sockets, and the dashboard. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BusMessage } from '../../protocol/index.ts';
import type { BackgroundLibrary } from '../compositor/index.ts';
import { registerApiRoutes } from './api-routes.ts';
import type { BrowserInputLimits } from './browser-input.ts';
import { ControlRelay, type ControlSink } from './control-relay.ts';
import { DEFAULT_DASHBOARD_DIR, registerDashboard } from './dashboard-static.ts';
import type { FleetState } from './fleet-state.ts';
import { Leaderboard } from './leaderboard.ts';
import { attachOtaFleet, type OtaFleet, type OtaFleetOptions } from './ota-fleet.ts';
import { renderPrometheus } from './prometheus.ts';
import type { SettingsStore } from './settings-store.ts';
import { attachSockets, type LiveSockets } from './sockets.ts';
import { VideoHub } from './video-hub.ts';

/** Where bus messages come from: the service's BusSubscriber, or a test's fake. */
export interface MessageFeed {
  on(handler: (message: BusMessage) => void): () => void;
}

export interface ServerOptions {
  fleet: FleetState;
  log: Logger;
  metricsIntervalMs: number;
  /** reports whether the server's own bus subscription is alive */
  busConnected: () => boolean;
  /** needed for control actions and configuration changes */
  token: string;
  /** the bus messages to serve (fleet state, video, telemetry, laps) */
  feed?: MessageFeed;
  /** where `car/<id>/control` messages go */
  control?: ControlSink;
  settings?: SettingsStore;
  backgrounds?: BackgroundLibrary;
  /** the built dashboard; default dashboard/dist in the repository */
  dashboardDir?: string;
  inputLimits?: BrowserInputLimits;
  frameAckTimeoutMs?: number;
  /** the update records: rollouts from agent reports, /api/fleet, rollbacks */
  ota?: OtaFleetOptions;
}

export interface NucServer {
  app: FastifyInstance;
  video: VideoHub;
  live: LiveSockets;
  relay: ControlRelay;
  leaderboard: Leaderboard;
  ota: OtaFleet | undefined;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  return (await buildNucServer(options)).app;
}

/** Like buildServer, with the live parts exposed (for the service's metrics and for tests). */
export async function buildNucServer(options: ServerOptions): Promise<NucServer> {
  if (options.token.length === 0) throw new Error('buildServer: a non-empty control token is required');
  // Per-request logs at info would drown the service's own; the server logs warnings and errors.
  const app = Fastify({
    loggerInstance: options.log.child({}, { level: 'warn' }) as FastifyBaseLogger,
    // Reject what does not match a schema instead of quietly coercing or stripping it.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const video = new VideoHub();
  const leaderboard = new Leaderboard();
  const relay = new ControlRelay(options.control ?? (() => {}));
  const live = attachSockets(app.server, {
    fleet: options.fleet,
    video,
    leaderboard,
    relay,
    settings: options.settings,
    token: options.token,
    ...(options.inputLimits ? { inputLimits: options.inputLimits } : {}),
    ...(options.frameAckTimeoutMs ? { frameAckTimeoutMs: options.frameAckTimeoutMs } : {}),
  });
  const ota = options.ota && attachOtaFleet(app, live.io.of('/fleet'), options.fleet, options.token, options.log, options.ota);
  const unsubscribe = options.feed?.on((message) => {
    options.fleet.ingest(message);
    video.ingest(message);
    live.ingest(message);
    ota?.ingest(message);
  });
  app.addHook('preClose', async () => {
    unsubscribe?.();
    ota?.close();
    await live.close();
  });

  app.get('/healthz', async () => ({
    status: 'ok',
    bus: options.busConnected() ? 'connected' : 'waiting',
    uptimeS: Math.round(process.uptime()),
  }));

  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderPrometheus(options.fleet, Date.now(), options.metricsIntervalMs);
  });

  app.get('/api/cars', async () => {
    const now = Date.now();
    return options.fleet.carStates().map((car) => ({ ...car, lastSeenMsAgo: now - car.lastSeen }));
  });

  app.get('/api/services', async () => {
    const now = Date.now();
    return options.fleet.serviceReports().map((report) => ({
      scope: report.scope,
      id: report.id,
      service: report.metrics.service,
      up: options.fleet.isUp(report, now, options.metricsIntervalMs),
      metrics: report.metrics,
    }));
  });

  registerApiRoutes(app, {
    fleet: options.fleet,
    relay,
    leaderboard,
    token: options.token,
    settings: options.settings,
    backgrounds: options.backgrounds,
  });
  await registerDashboard(app, options.dashboardDir ?? DEFAULT_DASHBOARD_DIR);

  return { app, video, live, relay, leaderboard, ota };
}
