/**
 * Test and benchmark support: the driver's screen as a program, over socket.io to the NUC: it
 * watches a car's video (acknowledging each frame, as the page does), sees its telemetry, and with
 * the token drives (`input`) and acts (`action`), as the dashboard does.
 */
import { io, type Socket } from 'socket.io-client';

export interface SeenFrame {
  /** receive time here, ms */
  at: number;
  seq: number;
  /** capture time on the car, ms (the hosts share this machine's clock) */
  frameTs: number;
  source: 'view' | 'frame';
}

export interface DriverClient {
  frames: SeenFrame[];
  /** receive times of telemetry */
  telemetry: { at: number; mode: string; throttle: number }[];
  input(angle: number, throttle: number): void;
  action(action: Record<string, unknown>): Promise<void>;
  close(): void;
}

interface FrameHeader {
  seq: number;
  frameTs: number;
  source: 'view' | 'frame';
}

export async function connectDriver(baseUrl: string, car: string, token?: string): Promise<DriverClient> {
  const socket: Socket = io(`${baseUrl}/driver`, { transports: ['websocket'], reconnectionDelayMax: 500, ...(token ? { auth: { token } } : {}) });
  const frames: SeenFrame[] = [];
  const telemetry: DriverClient['telemetry'] = [];
  socket.on('frame', (header: FrameHeader, _jpeg: unknown, ack?: () => void) => {
    frames.push({ at: Date.now(), seq: header.seq, frameTs: header.frameTs, source: header.source });
    ack?.();
  });
  socket.on('telemetry', (t: { mode: string; throttle: number }) => telemetry.push({ at: Date.now(), mode: t.mode, throttle: t.throttle }));
  // (re)watch on every connect
  const watching = new Promise<void>((resolve) => socket.on('connect', () => socket.emit('watch', car, () => resolve())));
  await watching;
  return {
    frames,
    telemetry,
    input: (angle, throttle) => void socket.emit('input', { angle, throttle }),
    action: (action) =>
      new Promise((resolve, reject) =>
        socket.emit('action', action, (reply: { ok: boolean; error?: string }) => (reply.ok ? resolve() : reject(new Error(reply.error ?? 'action refused')))),
      ),
    close: () => void socket.close(),
  };
}

/** Frames per second and the latency percentile (capture → here) over the frames seen in [from, to). */
export function videoIn(frames: readonly SeenFrame[], from: number, to: number): { fps: number; latencies: number[] } {
  const seen = frames.filter((f) => f.at >= from && f.at < to);
  return { fps: (seen.length * 1000) / (to - from), latencies: seen.map((f) => f.at - f.frameTs).sort((a, b) => a - b) };
}
