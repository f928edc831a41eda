/**
 * The timing service on the secured bus: the real NUC proxy and timing service as processes, a car
 * key sending simulator telemetry, a viewer reading the crossings, and a timing gate paired at the
 * line (the `timing` role) publishing its own. The simulated car's lap comes out as a crossing with
 * source `sim` and the car; only the timing service and a timing key may publish crossings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusPublisher, BusSubscriber, carTopic, nucTopic, type BusMessage, type HeaderOf, type SimState } from '../../protocol/index.ts';
import { waitFor } from '../support/net.ts';
import { startPlatformProcesses, type PlatformProcesses } from '../support/processes.ts';

let platform: PlatformProcesses;
const closers: Array<{ close(): unknown }> = [];
const crossings: { header: HeaderOf<'crossing'>; receivedAt: number }[] = [];
const timingMetrics: HeaderOf<'metrics'>[] = [];
const proxyMetrics: HeaderOf<'metrics'>[] = [];

function track<T extends { close(): unknown }>(closable: T): T {
  closers.push(closable);
  return closable;
}

const sim = (lap: number, lapTimeS: number): SimState => ({
  track: 'default', x: 0, y: 0, heading: 0, speed: 1, cte: 0, offTrack: false, offTrackEvents: 0, progress: 0.1, lap, lapTimeS,
});
const telemetry = (state: SimState) => ({ mode: 'local' as const, angle: 0, throttle: 0.3, model: 'expert', loop: { count: 1, overruns: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 }, sim: state });

beforeAll(async () => {
  platform = await startPlatformProcesses({ config: { launcher: { cars: ['1'] }, bus: { metricsIntervalMs: 200 } } });
  await platform.startService('nuc', 'proxy');
  await platform.startService('nuc', 'timing');
  const viewer = track(BusSubscriber.connect(platform.nucAs({ name: 'phone', role: 'viewer' }), { topics: [nucTopic('timing', 'crossing')] }));
  viewer.on('crossing', (message) => crossings.push({ header: message.header, receivedAt: Date.now() }));
  const watch = track(BusSubscriber.connect(platform.nucAs({ name: 'watch', role: 'nuc', service: 'watch' }), { topics: [nucTopic('timing', 'metrics'), nucTopic('proxy', 'metrics')] }));
  watch.on('metrics', (message: BusMessage<'metrics'>) => (message.topic.id === 'timing' ? timingMetrics : proxyMetrics).push(message.header));
  await waitFor(() => timingMetrics.length > 0 && proxyMetrics.length > 0, 'the timing service and the proxy reporting', 60_000);
}, 180_000);

afterAll(async () => {
  for (const closer of closers.reverse()) await closer.close();
  await platform?.stop();
});

describe('timing service on the bus', () => {
  it('turns a simulated car’s lap into a crossing with source sim and the car, timed inside the telemetry interval', async () => {
    const car = track(BusPublisher.connect(platform.nucAs({ name: 'car-1', role: 'car', car: '1' })));
    const topic = carTopic('1', 'telemetry');
    // until the service has a telemetry in (its subscriber's counter), lap 0 is the baseline
    const inBefore = timingMetrics.at(-1)!.counters.in;
    await waitFor(
      async () => {
        await car.send(topic, telemetry(sim(0, 9.9)));
        return timingMetrics.at(-1)!.counters.in > inBefore;
      },
      'the timing service receiving car 1 telemetry',
      30_000,
      100,
    );
    const before = Date.now();
    await car.send(topic, telemetry(sim(1, 0.01)));
    const seen = await waitFor(() => crossings.find((c) => c.header.source === 'sim'), 'a sim crossing', 30_000);
    expect(seen.header).toMatchObject({ gate: 'line', source: 'sim', car: '1' });
    expect(seen.header.atMs).toBeGreaterThanOrEqual(before - 1000);
    expect(seen.header.atMs).toBeLessThanOrEqual(seen.receivedAt);
  });

  it('passes a paired timing gate’s crossing and refuses one from a viewer, counted at the proxy', async () => {
    const gate = track(BusPublisher.connect(platform.nucAs({ name: 'line-pi', role: 'timing' })));
    const forger = track(BusPublisher.connect(platform.nucAs({ name: 'forger', role: 'viewer' })));
    const refusedBefore = proxyMetrics.at(-1)!.counters.droppedBy['not-permitted'] ?? 0;
    const crossing = { gate: 'line-pi', atMs: Date.now(), source: 'gpio' as const };
    await waitFor(
      async () => {
        await forger.send(nucTopic('timing', 'crossing'), { ...crossing, gate: 'forged' });
        await gate.send(nucTopic('timing', 'crossing'), crossing);
        return crossings.some((c) => c.header.gate === 'line-pi');
      },
      'the gate’s crossing at the viewer',
      30_000,
      200,
    );
    await waitFor(() => (proxyMetrics.at(-1)!.counters.droppedBy['not-permitted'] ?? 0) > refusedBefore, 'the forged crossing counted', 30_000);
    expect(crossings.some((c) => c.header.gate === 'forged')).toBe(false);
  });
});
