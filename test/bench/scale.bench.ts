/**
 * `scale`: how the NUC's cost grows with cars and viewers. N replay cars (recorded 640×480 JPEGs at
 * 30 fps plus 20 Hz telemetry, one process, no car services) into the real NUC proxy, server and
 * compositor processes, and socket.io audience clients that acknowledge each frame as a browser does.
 *
 *   scale_nuc_cpu_ms_per_frame  NUC processes' CPU time per frame delivered to a client, at the most
 *                               cars that passed (one watcher per car, GPU compositing: raw frames)
 *   scale_max_cars_30fps        the most cars whose frames all reach their watcher at ≥ 29 fps
 *   scale_viewers_fps           100 audience clients watching one car: the slowest client's fps
 *
 * The same three with `_server` appended are measured with the server compositing every watched car
 * (browsers without WebGL). Each step's own figures are reported too (`scale_cars_<N>_…`,
 * `scale_viewers_<M>_…`), for the table of growth. The clients run in this process: on one machine
 * they share its cores with the NUC, as the limits say.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { createRenderer, encodeJpeg, loadTrack } from '../../car/sim/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses, type PlatformProcesses } from '../support/processes.ts';
import type { Benchmark, Metric } from './types.ts';

const FPS = 30;
const PASS_FPS = 29;
const SETTLE_MS = 2000;
const MEASURE_MS = 6000;
const RECORDED_FRAMES = 60;
const CAR_STEPS = [1, 2, 4, 8, 12, 16, 20, 24, 28, 32];
const SERVER_CAR_STEPS = [1, 2, 3, 4, 6, 8];
const VIEWER_STEPS = [1, 10, 50, 100];
const REPLAY = path.join(path.dirname(new URL(import.meta.url).pathname), 'support', 'replay-cars.ts');

type Video = 'raw' | 'composited';

interface StepResult {
  /** the slowest client's delivered frames per second */
  minFps: number;
  frames: number;
  cpuMs: number;
  /** this process's CPU time: the clients (and the bench), which share the machine with the NUC */
  clientCpuMs: number;
}

/** 640×480 JPEGs along the default track, as a car's camera records them, and the poses they were taken at. */
async function recordFrames(dir: string): Promise<void> {
  const track = loadTrack('default');
  const renderer = createRenderer({ track, width: 640, height: 480, seed: 1 });
  const poses = [];
  for (let i = 0; i < RECORDED_FRAMES; i++) {
    const progress = (i / RECORDED_FRAMES) * track.length;
    const pose = track.pointAt(progress);
    poses.push({ ...pose, progress });
    fs.writeFileSync(path.join(dir, `${String(i).padStart(4, '0')}.jpg`), await encodeJpeg(renderer.render(pose), 640, 480, 80));
  }
  fs.writeFileSync(path.join(dir, 'poses.json'), JSON.stringify(poses));
}

const TICKS_PER_S = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** CPU time (user + system) a process has used, ms. */
function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}

interface Watcher {
  socket: Socket;
  frames: number;
}

function watch(baseUrl: string, car: string, video: Video): Watcher {
  const socket = io(`${baseUrl}/audience`, { transports: ['websocket'], forceNew: true, reconnection: false });
  const watcher: Watcher = { socket, frames: 0 };
  // Count only the video asked for: the server's raw stand-in while its composite warms up is not composited video.
  const wanted = video === 'raw' ? 'frame' : 'view';
  socket.on('frame', (header: { source: string }, _jpeg: unknown, ack?: () => void) => {
    if (header.source === wanted) watcher.frames++;
    ack?.();
  });
  socket.on('connect', () => socket.emit('watch', { car, video }));
  return watcher;
}

async function step(platform: PlatformProcesses, nucPids: number[], dir: string, cars: number, viewersPerCar: number, video: Video): Promise<StepResult> {
  const replay = platform.startScript(REPLAY, [platform.nuc.publishers, dir, String(cars), String(FPS)]);
  await new Promise<void>((resolve, reject) => {
    replay.once('message', () => resolve());
    replay.once('exit', (code) => reject(new Error(`replay cars exited with ${code}`)));
  });
  const baseUrl = `http://127.0.0.1:${platform.env.EDGE_HTTP_PORT}`;
  const watchers: Watcher[] = [];
  for (let car = 1; car <= cars; car++) for (let v = 0; v < viewersPerCar; v++) watchers.push(watch(baseUrl, `r${car}`, video));
  try {
    await waitFor(() => watchers.every((w) => w.frames > 0), `video at all ${watchers.length} clients`, 60_000, 100);
    await sleep(SETTLE_MS);
    for (const w of watchers) w.frames = 0;
    const cpuBefore = nucPids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    await sleep(MEASURE_MS);
    const elapsedS = (performance.now() - started) / 1000;
    const frames = watchers.map((w) => w.frames);
    const cpuMs = nucPids.reduce((sum, pid) => sum + cpuMsOf(pid), 0) - cpuBefore;
    const client = process.cpuUsage(clientBefore);
    return { minFps: Math.min(...frames) / elapsedS, frames: frames.reduce((a, b) => a + b, 0), cpuMs, clientCpuMs: (client.user + client.system) / 1000 };
  } finally {
    for (const w of watchers) w.socket.close();
    await new Promise<void>((resolve) => {
      replay.once('exit', () => resolve());
      replay.kill('SIGTERM');
    });
    // Let the server forget the cars' video and the compositor its demand before the next step.
    await sleep(500);
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

const bench: Benchmark = {
  name: 'scale',
  description: 'N replay cars at 30 fps and M socket.io viewers into one NUC: CPU per frame, most cars at 29 fps, fps of 100 viewers',
  async run(): Promise<Metric[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-frames-'));
    const platform = await startPlatformProcesses({ env: { EDGE_LOG_LEVEL: 'error' } });
    const metrics: Metric[] = [];
    const add = (metric: string, value: number, unit: string) => metrics.push({ bench: 'scale', metric, value: round(value), unit });
    try {
      await recordFrames(dir);
      const nucPids: number[] = [];
      for (const name of ['proxy', 'server', 'compositor']) nucPids.push((await platform.startService('nuc', name)).pid!);

      for (const [video, suffix, steps] of [
        ['raw', '', CAR_STEPS],
        ['composited', '_server', SERVER_CAR_STEPS],
      ] as const) {
        let best: { cars: number; result: StepResult } | undefined;
        for (const cars of steps) {
          const result = await step(platform, nucPids, dir, cars, 1, video);
          process.stderr.write(`  ${video} ${cars} cars: slowest ${result.minFps.toFixed(1)} fps, ${(result.cpuMs / result.frames).toFixed(2)} NUC CPU ms/frame\n`);
          add(`scale_cars_${cars}_min_fps${suffix}`, result.minFps, 'frames/s');
          add(`scale_cars_${cars}_nuc_cpu_ms_per_frame${suffix}`, result.cpuMs / result.frames, 'ms');
          add(`scale_cars_${cars}_client_cpu_ms_per_frame${suffix}`, result.clientCpuMs / result.frames, 'ms');
          if (result.minFps < PASS_FPS) break;
          best = { cars, result };
        }
        add(`scale_max_cars_30fps${suffix}`, best?.cars ?? 0, 'cars');
        if (best) add(`scale_nuc_cpu_ms_per_frame${suffix}`, best.result.cpuMs / best.result.frames, 'ms');

        let slowest = 0;
        for (const viewers of VIEWER_STEPS) {
          const result = await step(platform, nucPids, dir, 1, viewers, video);
          process.stderr.write(`  ${video} ${viewers} viewers: slowest ${result.minFps.toFixed(1)} fps, ${(result.cpuMs / result.frames).toFixed(2)} NUC CPU ms/frame\n`);
          add(`scale_viewers_${viewers}_min_fps${suffix}`, result.minFps, 'frames/s');
          add(`scale_viewers_${viewers}_nuc_cpu_ms_per_frame${suffix}`, result.cpuMs / result.frames, 'ms');
          add(`scale_viewers_${viewers}_client_cpu_ms_per_frame${suffix}`, result.clientCpuMs / result.frames, 'ms');
          slowest = result.minFps;
        }
        add(`scale_viewers_fps${suffix}`, slowest, 'frames/s');
      }
      return metrics;
    } finally {
      await platform.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
