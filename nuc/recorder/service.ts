/**
 * The `recorder` NUC service: records every car's laps as Donkeycar tubs under `<dataDir>/tubs/`.
 * The car's telemetry `recording` flag (set from the wheel or the dashboard) starts and stops a tub;
 * `nuc.recorder.onThrottle` records only frames taken with the throttle applied, and `car/<id>/erase`
 * (the wheel's button, the driver's screen; the proxy lets only the car's commanders send it) erases
 * the last seconds recorded.
 */
import path from 'node:path';
import { BusPublisher, BusSubscriber, nucTopic } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/index.ts';
import { Recorder } from './recorder.ts';
import { carSources, forKnownCars, knownCars } from '../known-cars/index.ts';

/** how often the recording states are checked for a change, and re-sent when unchanged */
const STATE_CHECK_MS = 250;
const STATE_REPEAT_MS = 3000;

const recorder: ServiceDefinition = {
  name: 'recorder',
  description: 'records car frames with the driver control as Donkeycar tub v2 tubs',
  async start(context) {
    const { config, metrics, log } = context;
    const tubsDir = path.resolve(config.dataDir, 'tubs');
    const sessions = new Recorder({ tubsDir, log, onThrottle: config.nuc.recorder.onThrottle });
    const subscriber = BusSubscriber.connect(context.bus, {
      topics: ['car/'],
      counters: metrics.counters,
      log,
    });
    subscriber.on(context.guard.wrap('bus_handler', forKnownCars(knownCars(carSources(config)), metrics.counters, (message) => sessions.handle(message))));
    // The recording state per car, for the driver's screen: a failed recording must be seen.
    const publisher = BusPublisher.connect(context.bus, { counters: metrics.counters });
    const topic = nucTopic('recorder', 'recording');
    const lastSent = new Map<string, { json: string; at: number }>();
    const publishStates = (): void => {
      const now = Date.now();
      for (const report of sessions.reports()) {
        const json = JSON.stringify(report);
        const last = lastSent.get(report.car);
        if (last && last.json === json && now - last.at < STATE_REPEAT_MS) continue;
        lastSent.set(report.car, { json, at: now });
        void publisher.send(topic, report);
      }
    };
    const stopStates = context.guard.every('state_timer', STATE_CHECK_MS, publishStates);
    // a car silent for nuc.carExpiryS has its session closed and forgotten (its tub stays)
    const expiryMs = config.nuc.carExpiryS * 1000;
    const stopSweep = context.guard.every('car_sweep', Math.min(10_000, expiryMs / 4), async () => {
      const cars = await sessions.forgetSilent(Date.now(), expiryMs);
      for (const car of cars) lastSent.delete(car);
      if (cars.length > 0) log.info({ cars }, 'cars silent; their recorder sessions are closed');
    });
    metrics.gauge('recorder_recording', () => sessions.totals().recording);
    metrics.gauge('recorder_failed', () => sessions.totals().failed);
    metrics.gauge('recorder_records', () => sessions.totals().records);
    metrics.gauge('recorder_tubs', () => sessions.totals().tubs);
    metrics.gauge('recorder_errors', () => sessions.totals().errors);
    metrics.gauge('recorder_frames_without_control', () => sessions.totals().framesWithoutControl);
    metrics.gauge('recorder_frames_dropped', () => sessions.totals().framesDropped);
    metrics.gauge('recorder_frames_bad', () => sessions.totals().framesBad);
    metrics.gauge('recorder_frames_without_throttle', () => sessions.totals().framesWithoutThrottle);
    metrics.gauge('recorder_records_erased', () => sessions.totals().recordsErased);
    metrics.gauge('recorder_erases_failed', () => sessions.totals().erasesFailed + sessions.erasesWithoutSession);
    context.ready({ tubsDir });
    return {
      async stop() {
        stopStates();
        stopSweep();
        await subscriber.close();
        await sessions.close();
        publishStates();
        await publisher.close();
      },
    };
  },
};

export default recorder;
