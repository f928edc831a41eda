/**
 * socket.io namespaces: `/driver` (video, telemetry, and with the token driving and actions),
 * `/audience` (video, telemetry, lap leaderboard) and `/fleet` (the cars list, laps, settings).
 * Watching needs no token. Video goes through the VideoHub, so a slow browser never queues frames.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import { isValidId, type BusMessage, type HeaderOf } from '../../protocol/index.ts';
import { parseCarAction } from './actions.ts';
import { tokenMatches } from './auth.ts';
import { mapBrowserInput, type BrowserInputLimits } from './browser-input.ts';
import type { ControlRelay } from './control-relay.ts';
import type { FleetState } from './fleet-state.ts';
import type { Leaderboard } from './leaderboard.ts';
import type { SettingsStore } from './settings-store.ts';
import type { VideoHub } from './video-hub.ts';

export interface SocketOptions {
  fleet: FleetState;
  video: VideoHub;
  leaderboard: Leaderboard;
  relay: ControlRelay;
  settings: SettingsStore | undefined;
  token: string;
  inputLimits?: BrowserInputLimits;
  /** how long the server waits for a browser to acknowledge a frame before sending the next anyway */
  frameAckTimeoutMs?: number;
  fleetIntervalMs?: number;
}

export interface InputStats {
  accepted: number;
  /** rejected inputs and actions by reason: a bad value, no token, no car watched */
  rejected: Record<string, number>;
}

export interface LiveSockets {
  io: Server;
  inputStats: InputStats;
  /** passes a bus message on to the browsers watching its car */
  ingest(message: BusMessage): void;
  close(): Promise<void>;
}

type Ack = (reply: { ok: boolean; error?: string }) => void;

function roomOf(car: string): string {
  return `car:${car}`;
}

export function attachSockets(server: HttpServer, options: SocketOptions): LiveSockets {
  const io = new Server(server, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
  const ackTimeoutMs = options.frameAckTimeoutMs ?? 2000;
  const inputStats: InputStats = { accepted: 0, rejected: {} };
  const reject = (reason: string): void => {
    inputStats.rejected[reason] = (inputStats.rejected[reason] ?? 0) + 1;
  };
  const driver = io.of('/driver');
  const audience = io.of('/audience');
  const fleet = io.of('/fleet');

  /** the recorder's latest state per car, for a driver who opens the screen later */
  const recordings = new Map<string, HeaderOf<'recording'>>();
  const leaderboardPayload = () => ({ top: options.leaderboard.top(10), cars: options.leaderboard.cars() });

  /** `watch` {car}: join the car's room and start its video; a later `watch` switches cars. */
  const handleWatching = (socket: Socket): void => {
    let stopVideo: (() => void) | undefined;
    socket.on('watch', (car: unknown, ack?: Ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      if (typeof car !== 'string' || !isValidId(car)) {
        reply({ ok: false, error: 'car must be an id of 1-32 of A-Z a-z 0-9 _ -' });
        return;
      }
      if (typeof socket.data.car === 'string') void socket.leave(roomOf(socket.data.car));
      stopVideo?.();
      socket.data.car = car;
      void socket.join(roomOf(car));
      stopVideo = options.video.watch(car, {
        send(header, jpeg, done) {
          socket.timeout(ackTimeoutMs).emit('frame', header, jpeg, () => done());
        },
      });
      const telemetry = options.fleet.carStates().find((c) => c.id === car)?.telemetry;
      if (telemetry) socket.emit('telemetry', { car, ...telemetry });
      const recording = recordings.get(car);
      if (recording) socket.emit('recording', recording);
      socket.emit('leaderboard', leaderboardPayload());
      reply({ ok: true });
    });
    socket.on('disconnect', () => stopVideo?.());
  };

  driver.on('connection', (socket) => {
    const canDrive = tokenMatches(options.token, (socket.handshake.auth as { token?: unknown } | undefined)?.token);
    socket.emit('hello', { canDrive });
    handleWatching(socket);
    socket.on('input', (raw: unknown) => {
      const car = socket.data.car as string | undefined;
      if (!canDrive) return reject('token');
      if (!car) return reject('no-car');
      const mapped = mapBrowserInput(raw, options.inputLimits);
      if (!mapped.ok) return reject(mapped.reason);
      inputStats.accepted++;
      options.relay.input(car, mapped.control);
    });
    socket.on('action', (raw: unknown, ack?: Ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const car = socket.data.car as string | undefined;
      if (!canDrive) {
        reject('token');
        return reply({ ok: false, error: 'a valid token is needed for control actions' });
      }
      if (!car) return reply({ ok: false, error: 'watch a car first' });
      const parsed = parseCarAction(raw);
      if (!parsed.ok) {
        reject('action');
        return reply({ ok: false, error: parsed.error });
      }
      options.relay.action(car, parsed.action);
      reply({ ok: true });
    });
  });

  audience.on('connection', (socket) => handleWatching(socket));

  const carsSummary = () => {
    const now = Date.now();
    return options.fleet.carStates().map((car) => ({ ...car, lastSeenMsAgo: now - car.lastSeen }));
  };
  fleet.on('connection', (socket) => {
    socket.emit('cars', carsSummary());
    socket.emit('leaderboard', leaderboardPayload());
    if (options.settings) socket.emit('settings', options.settings.all());
  });
  const fleetTimer = setInterval(() => {
    if (fleet.sockets.size > 0) fleet.volatile.emit('cars', carsSummary());
  }, options.fleetIntervalMs ?? 1000);
  fleetTimer.unref();
  const unsubscribeSettings = options.settings?.onChange(() => fleet.emit('settings', options.settings!.all()));

  // Not volatile: a volatile packet is dropped whenever a video frame is still being written, which
  // would lose most telemetry. It is small; a browser that stops reading is disconnected by the ping timeout.
  const toWatchers = (car: string, event: string, payload: unknown, namespaces: Namespace[]): void => {
    for (const ns of namespaces) ns.to(roomOf(car)).emit(event, payload);
  };

  return {
    io,
    inputStats,
    ingest(message) {
      const { scope, id } = message.topic;
      if (scope === 'nuc' && message.kind === 'recording') {
        const report = message.header;
        recordings.set(report.car, report);
        toWatchers(report.car, 'recording', report, [driver]);
        return;
      }
      if (scope !== 'car' || message.kind !== 'telemetry') return;
      const telemetry = message.header;
      toWatchers(id, 'telemetry', { car: id, ...telemetry }, [driver, audience]);
      if (telemetry.sim && options.leaderboard.ingest(id, telemetry.sim)) {
        const board = leaderboardPayload();
        driver.emit('leaderboard', board);
        audience.emit('leaderboard', board);
        fleet.emit('leaderboard', board);
      }
    },
    async close() {
      clearInterval(fleetTimer);
      unsubscribeSettings?.();
      io.disconnectSockets(true);
      for (const ns of [driver, audience, fleet]) ns.disconnectSockets(true);
      io.engine.close();
    },
  };
}
