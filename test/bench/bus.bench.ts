/**
 * `bus`: round trip of a small message through the NUC proxy (pinger → proxy → echo process →
 * proxy → pinger) with CURVE, as the platform runs by default, and in the same run through a proxy
 * without security, in alternating blocks so both see the same machine; 50 KB frames from a
 * car-local publisher through the real car proxy, uplink (which seals them) and NUC proxy (which
 * checks the seal) to a NUC subscriber, with the proxy's CPU time per frame, both ways; and what revoking a key
 * costs: how soon the revoked peer stops receiving, and the longest gap another subscriber sees while
 * the proxy renews its subscribers' side.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusKeyStore } from '../../nuc/pairing/index.ts';
import { BusPublisher, BusSubscriber, carTopic, percentile, type BusEndpoints, type Identity } from '../../protocol/index.ts';
import { paddedJpeg } from '../support/jpegs.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses, type PlatformProcesses } from '../support/processes.ts';
import type { Benchmark, Metric } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const BLOCKS = 10;
const ROUND_TRIPS_PER_BLOCK = 500;
const FRAME_BYTES = 50 * 1024;
const FRAME_SECONDS = 5;
const PINGER: Identity = { name: 'server', role: 'nuc', service: 'server' };
const ECHO: Identity = { name: 'wheel', role: 'nuc', service: 'wheel' };

interface RoundTripper {
  /** the NUC proxy's process */
  proxy: ChildProcess;
  measure(count: number, into: number[]): Promise<void>;
  close(): Promise<void>;
}

/** The proxy and an echo process on one platform; `secure` pairs both ends in its data directory. */
async function roundTripper(platform: PlatformProcesses, secure: boolean): Promise<RoundTripper> {
  const proxy = await platform.startService('nuc', 'proxy');
  const pingerBus = secure ? platform.nucAs(PINGER) : platform.nuc;
  const echoKeys = secure ? [platform.clientKeyDir(ECHO)] : [];
  const echo = platform.startScript(path.join(here, 'support/echo.ts'), [platform.nuc.subscribers, platform.nuc.publishers, 'echo', 'pinger', ...echoKeys]);
  await new Promise((resolve) => echo.once('message', resolve));
  const ping = BusPublisher.connect(pingerBus);
  const pong = BusSubscriber.connect(pingerBus, { topics: [carTopic('pinger', 'control')] });
  const box = pong.mailbox<'control'>(carTopic('pinger', 'control'));
  const send = () => ping.send<'control'>(carTopic('echo', 'control'), { angle: 0, throttle: 0, ts: performance.now() });
  // Warm up until the echo answers: subscriptions propagate asynchronously.
  await waitFor(async () => {
    await send();
    await sleep(20);
    return box.take() !== undefined;
  }, 'the echo peer', 30_000);
  await sleep(100);
  box.take();
  return {
    proxy,
    async measure(count, into) {
      for (let i = 0; i < count; i++) {
        const sentAt = performance.now();
        await ping.send<'control'>(carTopic('echo', 'control'), { angle: 0, throttle: 0, ts: sentAt });
        const answer = await box.next();
        into.push((performance.now() - answer!.header.ts) * 1000);
      }
    },
    close: () => Promise.all([ping.close(), pong.close()]).then(() => undefined),
  };
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A process's CPU time so far (user + system), in µs. */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
}

async function frameRate(platform: PlatformProcesses, receiverBus: BusEndpoints, proxy: ChildProcess): Promise<{ fps: number; proxyCpuUsPerFrame: number }> {
  const camera = BusPublisher.connect(platform.carBus('1'), { sendHighWaterMark: 4 });
  const receiver = BusSubscriber.connect(receiverBus, { topics: [carTopic('1', 'frame')] });
  let received = 0;
  receiver.on(() => received++);
  // 50 KB that the bus takes as a 640x480 JPEG (it checks the header)
  const jpeg = paddedJpeg(640, 480, FRAME_BYTES);
  const frame = () => camera.send<'frame'>(carTopic('1', 'frame'), { width: 640, height: 480, format: 'jpeg' }, jpeg);
  await waitFor(async () => {
    await frame();
    await sleep(20);
    return received > 0;
  }, 'frames at the NUC', 30_000);
  // Offer frames faster than the target and count what arrives: the send queue is small, so
  // anything the path cannot carry is dropped rather than queued.
  const start = performance.now();
  const startCount = received;
  const cpuBefore = cpuMicros(proxy.pid!);
  while (performance.now() - start < FRAME_SECONDS * 1000) {
    for (let i = 0; i < 8; i++) await frame();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sleep(50);
  const frames = received - startCount;
  const cpu = cpuMicros(proxy.pid!) - cpuBefore;
  const fps = frames / ((performance.now() - start) / 1000);
  await Promise.all([camera.close(), receiver.close()]);
  return { fps, proxyCpuUsPerFrame: frames > 0 ? cpu / frames : 0 };
}

/**
 * Revoking a key: a paired viewer and the server both receive a steady stream of frames; the viewer
 * is unpaired as `npm run bus -- unpair` does it. Returns when the viewer's delivery stopped after
 * the allow-list changed, and the server's longest gap around the renewal.
 */
async function revocation(platform: PlatformProcesses): Promise<{ stoppedAfterMs: number; othersGapMs: number }> {
  const viewerBus = platform.nucAs({ name: 'bench-viewer', role: 'viewer' });
  const camera = BusPublisher.connect(platform.carBus('1'), { sendHighWaterMark: 4 });
  const viewer = BusSubscriber.connect(viewerBus, { topics: [carTopic('1', 'frame')] });
  const server = BusSubscriber.connect(platform.nucAs(PINGER), { topics: [carTopic('1', 'frame')] });
  const arrivals = { viewer: [] as number[], server: [] as number[] };
  viewer.on(() => arrivals.viewer.push(performance.now()));
  server.on(() => arrivals.server.push(performance.now()));
  const jpeg = paddedJpeg(640, 480, 4096);
  let streaming = true;
  // 200 frames a second, so a gap is measured to 5 ms
  const stream = (async () => {
    while (streaming) {
      await camera.send<'frame'>(carTopic('1', 'frame'), { width: 640, height: 480, format: 'jpeg' }, jpeg);
      await sleep(5);
    }
  })();
  await waitFor(() => arrivals.viewer.length > 50 && arrivals.server.length > 50, 'frames at both subscribers', 30_000);
  const unpairedAt = performance.now();
  new BusKeyStore(path.join(platform.dataDir, 'keys', 'bus')).unpair('bench-viewer');
  await sleep(3000);
  streaming = false;
  await stream;
  const lastAtViewer = Math.max(unpairedAt, ...arrivals.viewer);
  const around = arrivals.server.filter((at) => at > unpairedAt - 500 && at < unpairedAt + 2500);
  const gaps = around.slice(1).map((at, i) => at - around[i]!);
  await Promise.all([camera.close(), viewer.close(), server.close()]);
  return { stoppedAfterMs: lastAtViewer - unpairedAt, othersGapMs: Math.max(0, ...gaps) };
}

const round = (value: number): number => Math.round(value);

const bench: Benchmark = {
  name: 'bus',
  description: 'round trip through the NUC proxy with CURVE and without; 50 KB frames car proxy → uplink → NUC proxy; revoking a key',
  async run(): Promise<Metric[]> {
    const secured = await startPlatformProcesses();
    const plain = await startPlatformProcesses({ config: { bus: { security: 'none' } } });
    try {
      const curveTrips = await roundTripper(secured, true);
      const plainTrips = await roundTripper(plain, false);
      const rtt: number[] = [];
      const rttPlain: number[] = [];
      // the proxy's CPU time per message it forwards (two per round trip), which load on the machine hardly changes
      const proxyCpu = { curve: 0, plain: 0 };
      const timed = async (trips: RoundTripper, into: number[], mode: keyof typeof proxyCpu): Promise<void> => {
        const before = cpuMicros(trips.proxy.pid!);
        await trips.measure(ROUND_TRIPS_PER_BLOCK, into);
        proxyCpu[mode] += cpuMicros(trips.proxy.pid!) - before;
      };
      for (let block = 0; block < BLOCKS; block++) {
        await timed(curveTrips, rtt, 'curve');
        await timed(plainTrips, rttPlain, 'plain');
      }
      const perMessage = (cpu: number) => cpu / (2 * BLOCKS * ROUND_TRIPS_PER_BLOCK);
      await Promise.all([curveTrips.close(), plainTrips.close()]);
      rtt.sort((a, b) => a - b);
      rttPlain.sort((a, b) => a - b);

      for (const platform of [secured, plain]) {
        await platform.startService('car', 'proxy', '1');
        await platform.startService('car', 'uplink', '1');
      }
      const frames = await frameRate(secured, secured.nucAs(PINGER), curveTrips.proxy);
      const framesPlain = await frameRate(plain, plain.nuc, plainTrips.proxy);
      await plain.stop();
      const revoked = await revocation(secured);
      const p50 = percentile(rtt, 50);
      const p50Plain = percentile(rttPlain, 50);
      return [
        { bench: 'bus', metric: 'bus_rtt_p50_us', value: round(p50), unit: 'us' },
        { bench: 'bus', metric: 'bus_rtt_p99_us', value: round(percentile(rtt, 99)), unit: 'us' },
        { bench: 'bus', metric: 'bus_rtt_p50_us_plain', value: round(p50Plain), unit: 'us' },
        { bench: 'bus', metric: 'bus_rtt_p99_us_plain', value: round(percentile(rttPlain, 99)), unit: 'us' },
        { bench: 'bus', metric: 'bus_curve_overhead', value: Math.round((p50 / p50Plain) * 100) / 100, unit: 'ratio' },
        { bench: 'bus', metric: 'bus_proxy_cpu_us_per_message', value: Math.round(perMessage(proxyCpu.curve) * 10) / 10, unit: 'us' },
        { bench: 'bus', metric: 'bus_proxy_cpu_us_per_message_plain', value: Math.round(perMessage(proxyCpu.plain) * 10) / 10, unit: 'us' },
        { bench: 'bus', metric: 'bus_frames_per_s', value: round(frames.fps), unit: 'frames/s' },
        { bench: 'bus', metric: 'bus_frames_per_s_plain', value: round(framesPlain.fps), unit: 'frames/s' },
        { bench: 'bus', metric: 'bus_proxy_cpu_us_per_frame', value: round(frames.proxyCpuUsPerFrame), unit: 'us' },
        { bench: 'bus', metric: 'bus_proxy_cpu_us_per_frame_plain', value: round(framesPlain.proxyCpuUsPerFrame), unit: 'us' },
        { bench: 'bus', metric: 'bus_revoked_stops_ms', value: round(revoked.stoppedAfterMs), unit: 'ms' },
        { bench: 'bus', metric: 'bus_revocation_gap_ms', value: round(revoked.othersGapMs), unit: 'ms' },
      ];
    } finally {
      await Promise.all([secured.stop(), plain.stop()]);
    }
  },
};

export default bench;
