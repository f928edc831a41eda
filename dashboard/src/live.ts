/**
 * Live views of one car (`/driver`, `/audience`) and of the cars list (`/fleet`) through the NUC's
 * socket.io namespaces; the connection itself is live-socket.ts.
 */
import { ref, shallowRef, type Ref } from 'vue';
import type {
  AckReply,
  CarAction,
  CarSummary,
  DriveInput,
  LeaderboardData,
  LiveTelemetry,
  Look,
  MapPoses,
  RaceView,
  RecordingState,
  VideoChoice,
  VideoFrameHeader,
} from '../../nuc/server/wire.ts';
import { connectLive, type LiveSocket } from './live-socket.ts';
import type { ConnectionState } from './types.ts';

export type FrameHandler = (header: VideoFrameHeader, jpeg: ArrayBuffer) => Promise<void>;

export interface LiveCar {
  state: Ref<ConnectionState>;
  telemetry: Ref<LiveTelemetry | undefined>;
  leaderboard: Ref<LeaderboardData>;
  /** the recorder's state for this car */
  recording: Ref<RecordingState | undefined>;
  /** the server accepted the token: input and actions will be obeyed */
  canDrive: Ref<boolean>;
  /** when this page last got anything of the car's (telemetry or video), its clock; undefined before */
  lastHeardAt: Ref<number | undefined>;
  /** the compositor's look, for keying on this browser's GPU */
  look: Ref<Look | undefined>;
  /** every car on the track, for the map */
  poses: Ref<MapPoses | undefined>;
  /** the race now, if any */
  race: Ref<RaceView | null>;
  /** the video the server sends: raw camera frames (this browser composites) or its composite */
  video: Ref<VideoChoice | undefined>;
  /** called per video frame; the next frame comes only after it resolves (latest wins on the server) */
  onFrame(handler: FrameHandler): void;
  sendInput(input: DriveInput): void;
  action(action: CarAction): Promise<AckReply>;
  /** puts the (simulated) car back on the track */
  reset(): Promise<AckReply>;
  /** erase the last `seconds` of the car's recording */
  erase(seconds: number): Promise<AckReply>;
  close(): void;
}

export interface CarOptions {
  token?: string;
  /** `raw` when this browser composites on its GPU */
  video?: VideoChoice;
}

/** The driver's screen (`/driver`: watching, and with the token driving) or the audience's (`/audience`: watching). */
export function connectCar(namespace: '/driver' | '/audience', car: string, options: CarOptions = {}): LiveCar {
  const token = options.token ?? '';
  const video = shallowRef<VideoChoice | undefined>(undefined);
  const watch = (socket: LiveSocket<'/audience'>) =>
    socket.emit('watch', { car, video: options.video ?? 'composited' }, (reply) => {
      if (reply.ok) video.value = reply.video;
    });
  const driver = namespace === '/driver' ? connectLive('/driver', { token, onConnect: watch }) : undefined;
  const live = driver ?? connectLive('/audience', { onConnect: watch });
  // what both namespaces send; the driver's adds `hello` and takes input and actions
  const socket: LiveSocket<'/audience'> = live.socket;
  const telemetry = shallowRef<LiveTelemetry | undefined>(undefined);
  const leaderboard = shallowRef<LeaderboardData>({ top: [], cars: [] });
  const recording = shallowRef<RecordingState | undefined>(undefined);
  const canDrive = ref(false);
  const lastHeardAt = ref<number | undefined>(undefined);
  const look = shallowRef<Look | undefined>(undefined);
  const poses = shallowRef<MapPoses | undefined>(undefined);
  const race = shallowRef<RaceView | null>(null);
  let frameHandler: FrameHandler | undefined;

  socket.on('look', (l) => (look.value = l));
  socket.on('poses', (p) => (poses.value = p));
  socket.on('race', (r) => (race.value = r));

  driver?.socket.on('hello', (hello) => (canDrive.value = hello.canDrive));
  socket.on('telemetry', (t) => {
    if (t.car !== car) return;
    telemetry.value = t;
    lastHeardAt.value = Date.now();
  });
  socket.on('recording', (r) => {
    if (r.car === car) recording.value = r;
  });
  socket.on('leaderboard', (board) => (leaderboard.value = board));
  socket.on('frame', (header, jpeg, ack) => {
    const done = () => ack?.();
    if (header.car === car) lastHeardAt.value = Date.now();
    if (!frameHandler || header.car !== car) return done();
    frameHandler(header, jpeg).then(done, done);
  });

  return {
    state: live.state,
    telemetry,
    leaderboard,
    recording,
    canDrive,
    lastHeardAt,
    look,
    poses,
    race,
    video,
    onFrame(handler) {
      frameHandler = handler;
    },
    sendInput(input) {
      if (driver?.socket.connected) driver.socket.volatile.emit('input', input);
    },
    async action(action) {
      if (!driver) return { ok: false, error: 'only the driver\'s screen takes actions' };
      if (!driver.socket.connected) return { ok: false, error: 'not connected to the NUC' };
      try {
        return await driver.socket.timeout(3000).emitWithAck('action', action);
      } catch {
        return { ok: false, error: 'the NUC did not answer' };
      }
    },
    async reset() {
      if (!driver) return { ok: false, error: 'only the driver\'s screen resets the car' };
      if (!driver.socket.connected) return { ok: false, error: 'not connected to the NUC' };
      try {
        return await driver.socket.timeout(3000).emitWithAck('reset');
      } catch {
        return { ok: false, error: 'the NUC did not answer' };
      }
    },
    async erase(seconds) {
      if (!driver) return { ok: false, error: 'only the driver\'s screen erases recordings' };
      if (!driver.socket.connected) return { ok: false, error: 'not connected to the NUC' };
      try {
        return await driver.socket.timeout(3000).emitWithAck('erase', seconds);
      } catch {
        return { ok: false, error: 'the NUC did not answer' };
      }
    },
    close: live.close,
  };
}

/** The fleet namespace: the cars list, refreshed every second. */
export function connectFleet(): { state: Ref<ConnectionState>; cars: Ref<CarSummary[]>; race: Ref<RaceView | null>; close(): void } {
  const live = connectLive('/fleet');
  const cars = shallowRef<CarSummary[]>([]);
  const race = shallowRef<RaceView | null>(null);
  live.socket.on('cars', (list) => (cars.value = list));
  live.socket.on('race', (r) => (race.value = r));
  return { state: live.state, cars, race, close: live.close };
}
