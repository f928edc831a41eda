/**
 * `video`: 640x480 frames at 30 fps from a simulated car (the real sim, camera, pilot, actuator,
 * uplink and proxies) through the compositor process and the server to a socket.io client that
 * acknowledges each frame as a browser does. Latency is camera capture time to client receipt.
 */
import { io } from 'socket.io-client';
import { percentile } from '../../protocol/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses } from '../support/processes.ts';
import type { Benchmark, Metric } from './types.ts';

const MEASURE_S = 15;

interface FrameHeader {
  car: string;
  seq: number;
  frameTs: number;
  source: 'view' | 'frame';
  compositeMs?: number;
}

const bench: Benchmark = {
  name: 'video',
  description: '640x480 at 30 fps: sim camera → compositor → server → socket.io client',
  async run(): Promise<Metric[]> {
    const platform = await startPlatformProcesses({ config: { car: { camera: { width: 640, height: 480, fps: 30 } } } });
    try {
      for (const name of ['proxy', 'server', 'compositor']) await platform.startService('nuc', name);
      for (const name of ['proxy', 'uplink', 'sim', 'actuator', 'camera', 'pilot']) await platform.startService('car', name, '1');
      const client = io(`http://127.0.0.1:${platform.env.EDGE_HTTP_PORT}/driver`, { transports: ['websocket'] });
      const received: Array<{ header: FrameHeader; at: number }> = [];
      client.on('frame', (header: FrameHeader, _jpeg: Buffer, ack?: () => void) => {
        received.push({ header, at: Date.now() });
        ack?.();
      });
      client.on('connect', () => client.emit('watch', '1'));
      await waitFor(() => received.some((r) => r.header.source === 'view'), 'composited frames at the client', 60_000, 100);
      await sleep(2000); // settle: compositor warm, car moving
      received.length = 0;
      const started = Date.now();
      await sleep(MEASURE_S * 1000);
      const elapsedS = (Date.now() - started) / 1000;
      const views = received.filter((r) => r.header.source === 'view');
      client.close();
      const latencies = views.map((r) => r.at - r.header.frameTs).sort((a, b) => a - b);
      const composite = views.map((r) => r.header.compositeMs ?? 0).sort((a, b) => a - b);
      const round = (v: number) => Math.round(v * 100) / 100;
      return [
        { bench: 'video', metric: 'video_fps', value: round(views.length / elapsedS), unit: 'frames/s' },
        { bench: 'video', metric: 'video_latency_p95_ms', value: round(percentile(latencies, 95)), unit: 'ms' },
        { bench: 'video', metric: 'composite_ms_p50', value: round(percentile(composite, 50)), unit: 'ms' },
      ];
    } finally {
      await platform.stop();
    }
  },
};

export default bench;
