/** The NUC's HTTP server: health, Prometheus metrics, the fleet and control API, live sockets, and the dashboard. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BusMessage } from '../../protocol/index.ts';
import type { BackgroundLibrary } from '../compositor/index.ts';
import { Guard } from '../../runtime/index.ts';
import { STRICT_AJV, catalogueRoutes, installTokenGuard, tokenLockout } from '../http/index.ts';
import { otaRoutes, type OtaRoutesOptions } from '../ota/index.ts';
import { trainingRoutes, type TrainingRoutesOptions } from '../training/index.ts';
import { trackRoutes, type RaceControl } from '../track/index.ts';
import type { BrowserInputLimits } from './browser-input.ts';
import type { CalibrateSink } from './calibrate-request.ts';
import { calibrateRoutes } from './calibrate-routes.ts';
import { contractRoutes, type BusContractOptions } from './contract-routes.ts';
import { ControlRelay, type ControlSink } from './control-relay.ts';
import { controlRoutes } from './control-routes.ts';
import { DEFAULT_DASHBOARD_DIR, registerDashboard } from './dashboard-static.ts';
import type { FleetState } from './fleet-state.ts';
import { Leaderboard } from './leaderboard.ts';
import { attachOtaFleet, fleetRoutes, type OtaFleet, type OtaFleetOptions } from './ota-fleet.ts';
import type { SettingsStore } from './settings-store.ts';
import { attachSockets, type LiveSockets } from './sockets.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { statusRoutes } from './status-routes.ts';
import { attachTrackLive } from './track-live.ts';
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
  /** where `car/<id>/calibrate` messages go (the calibration page's enter/set/save/exit) */
  calibrate?: CalibrateSink;
  /** where `car/<id>/erase` messages go (the driver's screen's "erase the last N seconds", for the recorder) */
  erase?: (car: string, fields: { seconds: number }) => void;
  settings?: SettingsStore;
  backgrounds?: BackgroundLibrary;
  /** the built dashboard; default dashboard/dist in the repository */
  dashboardDir?: string;
  inputLimits?: BrowserInputLimits;
  frameAckTimeoutMs?: number;
  /** the owner of the server's timers and handlers (the service's; a test's own otherwise) */
  guard?: Guard;
  /** a car silent this long is forgotten: its state, newest frame and recording state (default 5 minutes) */
  carExpiryMs?: number;
  /** the update records: rollouts from agent reports, /api/fleet, rollbacks */
  ota?: OtaFleetOptions;
  /** the update repository served at /ota/ and its release records under /api/releases, /api/rollouts */
  repository?: OtaRoutesOptions;
  /** serve HTTPS (the dashboard, the API, socket.io and /ota) with this PEM certificate and key */
  tls?: { cert: Buffer; key: Buffer };
  /** how long a request's headers, and the whole request, may take to arrive (defaults: 10 s, 30 s) */
  timeouts?: { headersMs?: number; requestMs?: number };
  /** the training jobs, tubs and models under /api/tubs, /api/training, /api/models (pushed on `/training`) */
  training?: Omit<TrainingRoutesOptions, 'live' | 'recordingTubs'>;
  /** the shared track: poses, resets and race control under /api/track, /api/race(s) (pushed to the live views) */
  track?: RaceControl;
  /** who composites the audience's video: their browsers (WebGL) or always the server */
  audienceVideo?: 'browser' | 'server';
  /** the bus as clients reach it, for `/api/asyncapi.json`, and its keys for `/api/bus/clients` */
  bus?: BusContractOptions;
}

export interface NucServer {
  app: FastifyInstance;
  video: VideoHub;
  live: LiveSockets;
  relay: ControlRelay;
  leaderboard: Leaderboard;
  ota: OtaFleet | undefined;
}

/** the whole request (an upload of up to 10 MiB included) */
export const REQUEST_TIMEOUT_MS = 30_000;
/** the request's headers: slow-loris senders are dropped early */
export const HEADERS_TIMEOUT_MS = 10_000;

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  return (await buildNucServer(options)).app;
}

/** Like buildServer, with the live parts exposed (for the service's metrics and for tests). */
export async function buildNucServer(options: ServerOptions): Promise<NucServer> {
  if (options.token.length === 0) throw new Error('buildServer: a non-empty control token is required');
  // Per-request logs at info would drown the service's own; the server logs warnings and errors.
  const headersMs = options.timeouts?.headersMs ?? HEADERS_TIMEOUT_MS;
  const requestMs = options.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS;
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default): often enough to matter
  const serverOptions = { connectionsCheckingInterval: Math.min(1000, headersMs) };
  const app = Fastify({
    loggerInstance: options.log.child({}, { level: 'warn' }) as FastifyBaseLogger,
    ajv: STRICT_AJV,
    // a request (headers and body) must arrive within this; a slow or stalled sender is cut off
    requestTimeout: requestMs,
    ...(options.tls ? { https: { ...serverOptions, cert: options.tls.cert, key: options.tls.key } } : { http: serverOptions }),
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = headersMs;
  await registerSecurityHeaders(app, { tls: options.tls !== undefined });
  const { fleet, settings, backgrounds, log, track } = options;
  const guard = options.guard ?? new Guard(log);
  const video = new VideoHub();
  const leaderboard = new Leaderboard();
  const relay = new ControlRelay(options.control ?? (() => {}));
  // The guard goes on the root first: each route plugin takes it from there, and the sockets share its lockout.
  await installTokenGuard(app, options.token);
  // every route from here on is recorded for /api/openapi.json
  const catalogue = catalogueRoutes(app);
  const live = attachSockets(app.server, {
    lockout: tokenLockout(app),
    fleet,
    video,
    leaderboard,
    relay,
    settings,
    token: options.token,
    guard,
    ...(options.inputLimits ? { inputLimits: options.inputLimits } : {}),
    ...(options.frameAckTimeoutMs ? { frameAckTimeoutMs: options.frameAckTimeoutMs } : {}),
    ...(options.audienceVideo ? { audienceVideo: options.audienceVideo } : {}),
    ...(track ? { resetCar: (car: string) => track.resetCar(car) } : {}),
    ...(options.erase ? { eraseRecording: (car: string, seconds: number) => options.erase!(car, { seconds }) } : {}),
  });
  const stopTrackLive = track && attachTrackLive(live, track);
  const ota = options.ota && attachOtaFleet(live.namespace('/fleet'), fleet, log, guard, options.ota);
  // the tub each car is recording into: the tub editor leaves those alone
  const recording = new Map<string, string>();
  const unsubscribe = options.feed?.on(
    guard.wrap('bus_handler', (message: BusMessage) => {
      fleet.ingest(message);
      video.ingest(message);
      live.ingest(message);
      ota?.ingest(message);
      track?.ingest(message);
      if (message.kind === 'recording') {
        if (message.header.state === 'recording' && message.header.tub) recording.set(message.header.car, message.header.tub);
        else recording.delete(message.header.car);
      }
    }),
  );
  // Everything kept per car is let go once the car is silent: made-up or departed cars cannot pile up.
  const expiryMs = options.carExpiryMs ?? 300_000;
  const stopSweep = guard.every('car_sweep', Math.min(10_000, Math.max(100, expiryMs / 4)), () => {
    for (const car of fleet.forgetSilent(Date.now(), expiryMs)) {
      video.forget(car);
      live.forget(car);
      relay.forget(car);
      recording.delete(car);
      log.info({ car, silentS: expiryMs / 1000 }, 'car silent; forgotten');
    }
  });
  app.addHook('preClose', async () => {
    stopSweep();
    unsubscribe?.();
    stopTrackLive?.();
    ota?.close();
    await live.close();
  });

  // Every route group, in one place.
  await app.register(statusRoutes, { fleet, leaderboard, metricsIntervalMs: options.metricsIntervalMs, busConnected: options.busConnected });
  await app.register(controlRoutes, { fleet, relay, settings, backgrounds });
  await app.register(calibrateRoutes, { fleet, sink: options.calibrate ?? (() => {}), metricsIntervalMs: options.metricsIntervalMs });
  if (ota && options.ota) await app.register(fleetRoutes, { ...options.ota, ota, log });
  if (options.repository) await app.register(otaRoutes, options.repository);
  if (options.training) await app.register(trainingRoutes, { ...options.training, live: live.namespace('/training'), recordingTubs: () => new Set(recording.values()) });
  if (track) await app.register(trackRoutes, { control: track });
  await app.register(contractRoutes, { bus: options.bus, catalogue });
  await registerDashboard(app, options.dashboardDir ?? DEFAULT_DASHBOARD_DIR);

  return { app, video, live, relay, leaderboard, ota };
}
