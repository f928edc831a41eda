/**
 * socket.io namespaces: `/driver` (video, telemetry, and with the token driving and actions),
 * `/audience` (video, telemetry, lap leaderboard) and `/fleet` (the cars list, laps, settings).
 * Watching needs no token. Video goes through the VideoHub, so a slow browser never queues frames.
 * The events of every namespace are typed by wire.ts.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import { isValidId, MAX_ERASE_SECONDS, type BusMessage } from '../../protocol/index.ts';
import type { Guard } from '../../runtime/index.ts';
import { tokenMatches, type TokenLockout } from '../http/index.ts';
import { parseCarAction } from './actions.ts';
import { mapBrowserInput, type BrowserInputLimits } from './browser-input.ts';
import type { ControlRelay } from './control-relay.ts';
import type { FleetState } from './fleet-state.ts';
import type { Leaderboard } from './leaderboard.ts';
import type { SettingsStore } from './settings-store.ts';
import { VIDEO_CHOICES, type VideoChoice, type VideoHub } from './video-hub.ts';
import { recordingFields, telemetryFields } from './named-fields.ts';
import type { AckReply, Look, NamespaceName, Namespaces, NoRequests, RecordingState } from './wire.ts';

/** What the server keeps per socket: the car it watches. */
interface LiveSocketData {
  car?: string;
}

/** A namespace typed by its events in wire.ts; the server sends JPEGs as Buffers. */
export type LiveNamespace<N extends NamespaceName> = Namespace<Namespaces<Buffer>[N]['fromBrowser'], Namespaces<Buffer>[N]['toBrowser'], NoRequests, LiveSocketData>;
type WatchSocket = Socket<Namespaces<Buffer>['/audience']['fromBrowser'], Namespaces<Buffer>['/audience']['toBrowser'], NoRequests, LiveSocketData>;

export interface SocketOptions {
  fleet: FleetState;
  video: VideoHub;
  leaderboard: Leaderboard;
  relay: ControlRelay;
  settings: SettingsStore | undefined;
  token: string;
  /** clients locked out after too many wrong tokens (shared with the HTTP guard) */
  lockout: TokenLockout;
  guard: Guard;
  inputLimits?: BrowserInputLimits;
  /** how long the server waits for a browser to acknowledge a frame before sending the next anyway */
  frameAckTimeoutMs?: number;
  fleetIntervalMs?: number;
  /** who composites the audience's video: their browsers (WebGL, when they can) or always the server */
  audienceVideo?: 'browser' | 'server';
  /** puts a simulated car back on the track (the driver's reset button); throws with the reason when it cannot */
  resetCar?: (car: string) => void;
  /** erase the last seconds of the car's recording (`car/<id>/erase`, for the recorder) */
  eraseRecording?: (car: string, seconds: number) => void;
}

export interface InputStats {
  accepted: number;
  /** rejected inputs and actions by reason: a bad value, no token, no car watched */
  rejected: Record<string, number>;
}

export interface LiveSockets {
  /** one of the server's namespaces, typed by its events (`/training` is served by the training routes) */
  namespace<N extends NamespaceName>(name: N): LiveNamespace<N>;
  inputStats: InputStats;
  /** passes a bus message on to the browsers watching its car */
  ingest(message: BusMessage): void;
  /** forgets a car gone silent (its recording state) */
  forget(car: string): void;
  close(): Promise<void>;
}

type Ack = (reply: AckReply) => void;

/**
 * A browser page from another site must not open a socket here (WebSockets are not held back by
 * CORS): a request that carries an Origin is taken only when it is this server's own, the Host the
 * browser asked for. Clients without one (scripts, tests, the CLI) are no browser pages.
 */
export function sameOriginOnly(request: IncomingMessage, callback: (error: string | null | undefined, allow: boolean) => void): void {
  const origin = request.headers.origin;
  if (origin === undefined) return callback(null, true);
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== undefined && host === request.headers.host) return callback(null, true);
  callback('origin not allowed: the dashboard connects from its own address only', false);
}

function roomOf(car: string): string {
  return `car:${car}`;
}

/** A `watch` request: a car id (the server's composite), or {car, video}. */
function parseWatch(raw: unknown): { car: string; video: VideoChoice } | { error: string } {
  const request = typeof raw === 'string' ? { car: raw, video: 'composited' } : raw;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { error: 'watch takes a car id or {car, video}' };
  const { car, video, ...rest } = request as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return { error: `watch takes only car and video, not ${Object.keys(rest).join(', ')}` };
  if (typeof car !== 'string' || !isValidId(car)) return { error: 'car must be an id of 1-32 of A-Z a-z 0-9 _ -' };
  if (!VIDEO_CHOICES.includes(video as VideoChoice)) return { error: `video must be one of ${VIDEO_CHOICES.join(', ')}` };
  return { car, video: video as VideoChoice };
}

/** What a browser compositing on its GPU needs to look like the server's compositor. */
function lookOf(settings: SettingsStore): Look {
  const all = settings.all();
  return { keying: all.keying, panScale: all.panning.scale, background: all.background.name, filter: all.background.filter };
}

export function attachSockets(server: HttpServer, options: SocketOptions): LiveSockets {
  const io = new Server(server, { serveClient: false, maxHttpBufferSize: 64 * 1024, allowRequest: sameOriginOnly });
  const ackTimeoutMs = options.frameAckTimeoutMs ?? 2000;
  const inputStats: InputStats = { accepted: 0, rejected: {} };
  const reject = (reason: string): void => {
    inputStats.rejected[reason] = (inputStats.rejected[reason] ?? 0) + 1;
  };
  const namespace = <N extends NamespaceName>(name: N): LiveNamespace<N> => io.of(name);
  const driver = namespace('/driver');
  const audience = namespace('/audience');
  const fleet = namespace('/fleet');

  /** the recorder's latest state per car, for a driver who opens the screen later */
  const recordings = new Map<string, RecordingState>();
  const leaderboardPayload = () => options.leaderboard.board(10);

  /**
   * `watch` car or {car, video}: join the car's room and start its video; a later `watch` switches
   * cars. The reply says which video comes: `raw` only to a browser that asked for it (it composites
   * on its GPU), and not on the audience view when the server composites the audience's stream.
   */
  const handleWatching = (socket: WatchSocket, audience: boolean): void => {
    let stopVideo: (() => void) | undefined;
    socket.on('watch', (raw: unknown, ack?: Ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const request = parseWatch(raw);
      if ('error' in request) {
        reply({ ok: false, error: request.error });
        return;
      }
      const { car } = request;
      const video: VideoChoice = audience && options.audienceVideo === 'server' ? 'composited' : request.video;
      if (socket.data.car !== undefined) void socket.leave(roomOf(socket.data.car));
      stopVideo?.();
      socket.data.car = car;
      void socket.join(roomOf(car));
      stopVideo = options.video.watch(
        car,
        {
          send(header, jpeg, done) {
            socket.timeout(ackTimeoutMs).emit('frame', header, jpeg, () => done());
          },
        },
        video,
      );
      if (options.settings) socket.emit('look', lookOf(options.settings));
      const telemetry = options.fleet.carStates().find((c) => c.id === car)?.telemetry;
      if (telemetry) socket.emit('telemetry', { ...telemetry, car });
      const recording = recordings.get(car);
      if (recording) socket.emit('recording', recording);
      socket.emit('leaderboard', leaderboardPayload());
      reply({ ok: true, video });
    });
    socket.on('disconnect', () => stopVideo?.());
  };

  driver.on('connection', (socket) => {
    const presented = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const client = socket.handshake.address;
    const locked = options.lockout.remainingMs(client, Date.now()) > 0;
    const canDrive = !locked && tokenMatches(options.token, presented);
    if (!canDrive && !locked && presented !== undefined && presented !== '') options.lockout.socketFailure(client, Date.now());
    socket.emit('hello', { canDrive });
    handleWatching(socket, false);
    socket.on('input', (raw: unknown) => {
      const { car } = socket.data;
      if (!canDrive) return reject('token');
      if (!car) return reject('no-car');
      // only a car this NUC has heard from: nothing is kept or sent for a made-up id
      if (!options.fleet.hasCar(car)) return reject('unknown-car');
      const mapped = mapBrowserInput(raw, options.inputLimits);
      if (!mapped.ok) return reject(mapped.reason);
      inputStats.accepted++;
      options.relay.input(car, mapped.control);
    });
    /** A command on the watched car: needs the token and a watched car; `run` answers the rest. */
    const command = (what: string, ack: Ack | undefined, run: (car: string) => AckReply): void => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const { car } = socket.data;
      if (!canDrive) {
        reject('token');
        return reply({ ok: false, error: `a valid token is needed for ${what}` });
      }
      if (!car) return reply({ ok: false, error: 'watch a car first' });
      if (!options.fleet.hasCar(car)) {
        reject('unknown-car');
        return reply({ ok: false, error: `no car "${car}" has reported to this NUC` });
      }
      reply(run(car));
    };
    socket.on('action', (raw: unknown, ack?: Ack) =>
      command('control actions', ack, (car) => {
        const parsed = parseCarAction(raw);
        if (!parsed.ok) {
          reject('action');
          return { ok: false, error: parsed.error };
        }
        options.relay.action(car, parsed.action);
        return { ok: true };
      }),
    );
    // "Erase the last N seconds" of the watched car's recording: bounded, and only with the token.
    socket.on('erase', (seconds: unknown, ack?: Ack) =>
      command('erasing the recording', ack, (car) => {
        if (!options.eraseRecording) return { ok: false, error: 'this NUC does not pass erases to a recorder' };
        if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_ERASE_SECONDS) {
          reject('erase');
          return { ok: false, error: `seconds must be a whole number 1..${MAX_ERASE_SECONDS}` };
        }
        options.eraseRecording(car, seconds);
        return { ok: true };
      }),
    );
    // The simulator's "put me back on the track": its own message kind, not a control flag.
    socket.on('reset', (ack?: Ack) =>
      command('resetting the car', ack, (car) => {
        if (!options.resetCar) return { ok: false, error: 'this NUC has no shared track to reset cars on' };
        try {
          options.resetCar(car);
          return { ok: true };
        } catch (error) {
          return { ok: false, error: (error as Error).message };
        }
      }),
    );
  });

  audience.on('connection', (socket) => handleWatching(socket, true));

  const carsSummary = () => options.fleet.carSummaries(Date.now());
  fleet.on('connection', (socket) => {
    socket.emit('cars', carsSummary());
    socket.emit('leaderboard', leaderboardPayload());
    if (options.settings) socket.emit('settings', options.settings.all());
  });
  const stopFleetTimer = options.guard.every('fleet_timer', options.fleetIntervalMs ?? 1000, () => {
    if (fleet.sockets.size > 0) fleet.volatile.emit('cars', carsSummary());
  });
  const unsubscribeSettings = options.settings?.onChange((name) => {
    fleet.emit('settings', options.settings!.all());
    if (name !== 'wheel') for (const ns of [driver, audience]) ns.emit('look', lookOf(options.settings!));
  });

  return {
    namespace,
    inputStats,
    ingest(message) {
      const { scope, id } = message.topic;
      if (scope === 'nuc' && message.kind === 'recording') {
        const report = recordingFields(message.header);
        recordings.set(report.car, report);
        // Not volatile: a volatile packet is dropped whenever a video frame is still being written,
        // which would lose most telemetry. It is small; a browser that stops reading is
        // disconnected by the ping timeout.
        driver.to(roomOf(report.car)).emit('recording', report);
        return;
      }
      if (scope !== 'car' || message.kind !== 'telemetry') return;
      const telemetry = { ...telemetryFields(message.header), car: id };
      driver.to(roomOf(id)).emit('telemetry', telemetry);
      audience.to(roomOf(id)).emit('telemetry', telemetry);
      if (telemetry.sim && options.leaderboard.ingest(id, telemetry.sim)) {
        const board = leaderboardPayload();
        driver.emit('leaderboard', board);
        audience.emit('leaderboard', board);
        fleet.emit('leaderboard', board);
      }
    },
    forget(car) {
      recordings.delete(car);
    },
    async close() {
      stopFleetTimer();
      unsubscribeSettings?.();
      io.disconnectSockets(true);
      for (const ns of [driver, audience, fleet]) ns.disconnectSockets(true);
      io.engine.close();
    },
  };
}
