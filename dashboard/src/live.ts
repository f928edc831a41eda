/**
 * A live connection to one car through the NUC's socket.io namespaces. socket.io reconnects on its
 * own; the page shows the state and re-subscribes after every (re)connect, so it resumes by itself.
 */
import { io, type Socket } from 'socket.io-client';
import { ref, shallowRef, type Ref } from 'vue';
import type { CarAction, CarSummary, ConnectionState, LeaderboardData, RecordingState, Telemetry, VideoFrameHeader } from './types.ts';

export type FrameHandler = (header: VideoFrameHeader, jpeg: ArrayBuffer) => Promise<void>;

export interface LiveCar {
  state: Ref<ConnectionState>;
  telemetry: Ref<Telemetry | undefined>;
  leaderboard: Ref<LeaderboardData>;
  /** the recorder's state for this car (driver namespace only) */
  recording: Ref<RecordingState | undefined>;
  /** the server accepted the token: input and actions will be obeyed */
  canDrive: Ref<boolean>;
  /** called per video frame; the next frame comes only after it resolves (latest wins on the server) */
  onFrame(handler: FrameHandler): void;
  sendInput(input: { angle: number; throttle: number }): void;
  action(action: CarAction): Promise<{ ok: boolean; error?: string }>;
  close(): void;
}

export function connectCar(namespace: '/driver' | '/audience', car: string, token = ''): LiveCar {
  const socket: Socket = io(namespace, { transports: ['websocket'], auth: token ? { token } : {}, reconnectionDelayMax: 2000 });
  const state = ref<ConnectionState>('connecting');
  const telemetry = shallowRef<Telemetry | undefined>(undefined);
  const leaderboard = shallowRef<LeaderboardData>({ top: [], cars: [] });
  const recording = shallowRef<RecordingState | undefined>(undefined);
  const canDrive = ref(false);
  let frameHandler: FrameHandler | undefined;

  socket.on('connect', () => {
    state.value = 'connected';
    socket.emit('watch', car);
  });
  socket.on('disconnect', (reason) => {
    state.value = 'lost';
    // A server that shut down cleanly says so; socket.io then waits for us to reconnect.
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  socket.on('connect_error', () => {
    if (state.value === 'connected') state.value = 'lost';
  });
  socket.on('hello', (hello: { canDrive: boolean }) => (canDrive.value = hello.canDrive));
  socket.on('telemetry', (t: Telemetry) => {
    if (t.car === car) telemetry.value = t;
  });
  socket.on('recording', (r: RecordingState) => {
    if (r.car === car) recording.value = r;
  });
  socket.on('leaderboard', (board: LeaderboardData) => (leaderboard.value = board));
  socket.on('frame', (header: VideoFrameHeader, jpeg: ArrayBuffer, ack?: () => void) => {
    const done = () => ack?.();
    if (!frameHandler || header.car !== car) return done();
    frameHandler(header, jpeg).then(done, done);
  });

  return {
    state,
    telemetry,
    leaderboard,
    recording,
    canDrive,
    onFrame(handler) {
      frameHandler = handler;
    },
    sendInput(input) {
      if (socket.connected) socket.volatile.emit('input', input);
    },
    async action(action) {
      if (!socket.connected) return { ok: false, error: 'not connected to the NUC' };
      try {
        return await socket.timeout(3000).emitWithAck('action', action);
      } catch {
        return { ok: false, error: 'the NUC did not answer' };
      }
    },
    close() {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}

/** The fleet namespace: the cars list, refreshed every second. */
export function connectFleet(): { state: Ref<ConnectionState>; cars: Ref<CarSummary[]>; close(): void } {
  const socket = io('/fleet', { transports: ['websocket'], reconnectionDelayMax: 2000 });
  const state = ref<ConnectionState>('connecting');
  const cars = shallowRef<CarSummary[]>([]);
  socket.on('connect', () => (state.value = 'connected'));
  socket.on('disconnect', (reason) => {
    state.value = 'lost';
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  socket.on('cars', (list: CarSummary[]) => (cars.value = list));
  return {
    state,
    cars,
    close() {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}
