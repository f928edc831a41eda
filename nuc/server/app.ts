/** The NUC's HTTP server: health, Prometheus metrics, the fleet and control API, live sockets, and the dashboard. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BusMessage } from '../../protocol/index.ts';
import type { BackgroundLibrary } from '../compositor/index.ts';
import { STRICT_AJV, installTokenGuard } from '../http/index.ts';
import { otaRoutes, type OtaRoutesOptions } from '../ota/index.ts';
import { trainingRoutes, type TrainingRoutesOptions } from '../training/index.ts';
import type { BrowserInputLimits } from './browser-input.ts';
import { ControlRelay, type ControlSink } from './control-relay.ts';
import { controlRoutes } from './control-routes.ts';
import { DEFAULT_DASHBOARD_DIR, registerDashboard } from './dashboard-static.ts';
import type { FleetState } from './fleet-state.ts';
import { Leaderboard } from './leaderboard.ts';
import { attachOtaFleet, fleetRoutes, type OtaFleet, type OtaFleetOptions } from './ota-fleet.ts';
import type { SettingsStore } from './settings-store.ts';
import { attachSockets, type LiveSockets } from './sockets.ts';
import { statusRoutes } from './status-routes.ts';
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
  /** the update repository served at /ota/ and its release records under /api/releases, /api/rollouts */
  repository?: OtaRoutesOptions;
  /** the training jobs, tubs and models under /api/tubs, /api/training, /api/models (pushed on `/training`) */
  training?: Omit<TrainingRoutesOptions, 'live' | 'recordingTubs'>;
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
    ajv: STRICT_AJV,
  });
  const { fleet, settings, backgrounds, log } = options;
  const video = new VideoHub();
  const leaderboard = new Leaderboard();
  const relay = new ControlRelay(options.control ?? (() => {}));
  const live = attachSockets(app.server, {
    fleet,
    video,
    leaderboard,
    relay,
    settings,
    token: options.token,
    ...(options.inputLimits ? { inputLimits: options.inputLimits } : {}),
    ...(options.frameAckTimeoutMs ? { frameAckTimeoutMs: options.frameAckTimeoutMs } : {}),
  });
  const ota = options.ota && attachOtaFleet(live.namespace('/fleet'), fleet, log, options.ota);
  // the tub each car is recording into: the tub editor leaves those alone
  const recording = new Map<string, string>();
  const unsubscribe = options.feed?.on((message) => {
    fleet.ingest(message);
    video.ingest(message);
    live.ingest(message);
    ota?.ingest(message);
    if (message.kind === 'recording') {
      if (message.header.state === 'recording' && message.header.tub) recording.set(message.header.car, message.header.tub);
      else recording.delete(message.header.car);
    }
  });
  app.addHook('preClose', async () => {
    unsubscribe?.();
    ota?.close();
    await live.close();
  });

  // Every route group, in one place. The guard goes on the root first: each plugin takes it from there.
  installTokenGuard(app, options.token);
  await app.register(statusRoutes, { fleet, leaderboard, metricsIntervalMs: options.metricsIntervalMs, busConnected: options.busConnected });
  await app.register(controlRoutes, { fleet, relay, settings, backgrounds });
  if (ota && options.ota) await app.register(fleetRoutes, { ...options.ota, ota, log });
  if (options.repository) await app.register(otaRoutes, options.repository);
  if (options.training) await app.register(trainingRoutes, { ...options.training, live: live.namespace('/training'), recordingTubs: () => new Set(recording.values()) });
  await registerDashboard(app, options.dashboardDir ?? DEFAULT_DASHBOARD_DIR);

  return { app, video, live, relay, leaderboard, ota };
}
