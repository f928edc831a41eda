/**
 * The `recorder` NUC service: records every car's laps as Donkeycar tubs under `<dataDir>/tubs/`.
 * The car's telemetry `recording` flag (set from the wheel or the dashboard) starts and stops a tub.
 */
import path from 'node:path';
import { BusSubscriber } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/service.ts';
import { Recorder } from './recorder.ts';

const recorder: ServiceDefinition = {
  name: 'recorder',
  description: 'records car frames with the driver control as Donkeycar tub v2 tubs',
  async start(context) {
    const { config, metrics, log } = context;
    const tubsDir = path.resolve(config.dataDir, 'tubs');
    const sessions = new Recorder({ tubsDir, log });
    const subscriber = BusSubscriber.connect(context.bus.subscribers, {
      topics: ['car/'],
      counters: metrics.counters,
      log,
      limits: { maxPayloadBytes: config.bus.maxPayloadBytes, maxHeaderBytes: 64 * 1024 },
    });
    subscriber.on((message) => sessions.handle(message));
    metrics.gauge('recorder_recording', () => sessions.totals().recording);
    metrics.gauge('recorder_failed', () => sessions.totals().failed);
    metrics.gauge('recorder_records', () => sessions.totals().records);
    metrics.gauge('recorder_tubs', () => sessions.totals().tubs);
    metrics.gauge('recorder_errors', () => sessions.totals().errors);
    metrics.gauge('recorder_frames_without_control', () => sessions.totals().framesWithoutControl);
    metrics.gauge('recorder_frames_dropped', () => sessions.totals().framesDropped);
    metrics.gauge('recorder_frames_bad', () => sessions.totals().framesBad);
    context.ready({ tubsDir });
    return {
      async stop() {
        await subscriber.close();
        await sessions.close();
      },
    };
  },
};

export default recorder;
