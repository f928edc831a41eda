/**
 * `bus`: round trip of a small message through the NUC proxy (pinger → proxy → echo process →
 * proxy → pinger), and 50 KB frames from a car-local publisher through the real car proxy, uplink
 * and NUC proxy processes to a NUC subscriber.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusPublisher, BusSubscriber, carTopic, percentile } from '../../protocol/index.ts';
import { paddedJpeg } from '../support/jpegs.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses } from '../support/processes.ts';
import type { Benchmark, Metric } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUND_TRIPS = 5000;
const FRAME_BYTES = 50 * 1024;
const FRAME_SECONDS = 5;

async function roundTrips(nuc: { publishers: string; subscribers: string }): Promise<number[]> {
  const ping = BusPublisher.connect(nuc.publishers);
  const pong = BusSubscriber.connect(nuc.subscribers, { topics: [carTopic('pinger', 'control')] });
  const box = pong.mailbox<'control'>(carTopic('pinger', 'control'));
  const send = () => ping.send<'control'>(carTopic('echo', 'control'), { angle: 0, throttle: 0, ts: performance.now() });
  // Warm up until the echo answers: subscriptions propagate asynchronously.
  await waitFor(async () => {
    await send();
    await sleep(20);
    return box.take() !== undefined;
  }, 'the echo peer');
  await sleep(100);
  box.take();
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const sentAt = performance.now();
    await ping.send<'control'>(carTopic('echo', 'control'), { angle: 0, throttle: 0, ts: sentAt });
    const answer = await box.next();
    samples.push((performance.now() - answer!.header.ts) * 1000);
  }
  await Promise.all([ping.close(), pong.close()]);
  return samples.sort((a, b) => a - b);
}

async function frameRate(car: { publishers: string }, nuc: { subscribers: string }): Promise<number> {
  const camera = BusPublisher.connect(car.publishers, { sendHighWaterMark: 4 });
  const receiver = BusSubscriber.connect(nuc.subscribers, { topics: [carTopic('1', 'frame')] });
  let received = 0;
  receiver.on(() => received++);
  // 50 KB that the bus takes as a 640x480 JPEG (it checks the header)
  const jpeg = paddedJpeg(640, 480, FRAME_BYTES);
  const frame = () => camera.send<'frame'>(carTopic('1', 'frame'), { width: 640, height: 480, format: 'jpeg' }, jpeg);
  await waitFor(async () => {
    await frame();
    await sleep(20);
    return received > 0;
  }, 'frames at the NUC');
  // Offer frames faster than the target and count what arrives: the send queue is small, so
  // anything the path cannot carry is dropped rather than queued.
  const start = performance.now();
  const startCount = received;
  while (performance.now() - start < FRAME_SECONDS * 1000) {
    for (let i = 0; i < 8; i++) await frame();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sleep(50);
  const rate = (received - startCount) / ((performance.now() - start) / 1000);
  await Promise.all([camera.close(), receiver.close()]);
  return rate;
}

const bench: Benchmark = {
  name: 'bus',
  description: 'round trip through the NUC proxy; 50 KB frames car proxy → uplink → NUC proxy',
  async run(): Promise<Metric[]> {
    const platform = await startPlatformProcesses();
    try {
      await platform.startService('nuc', 'proxy');
      const echo = platform.startScript(path.join(here, 'support/echo.ts'), [
        platform.nuc.subscribers,
        platform.nuc.publishers,
        'echo',
        'pinger',
      ]);
      await new Promise((resolve) => echo.once('message', resolve));
      const rtt = await roundTrips(platform.nuc);

      await platform.startService('car', 'proxy', '1');
      await platform.startService('car', 'uplink', '1');
      const fps = await frameRate(platform.carBus('1'), platform.nuc);
      return [
        { bench: 'bus', metric: 'bus_rtt_p50_us', value: Math.round(percentile(rtt, 50)), unit: 'us' },
        { bench: 'bus', metric: 'bus_rtt_p99_us', value: Math.round(percentile(rtt, 99)), unit: 'us' },
        { bench: 'bus', metric: 'bus_frames_per_s', value: Math.round(fps), unit: 'frames/s' },
      ];
    } finally {
      await platform.stop();
    }
  },
};

export default bench;
