/** The `wheel` NUC service: the configured wheel drives the configured car over the NUC bus. */
import { BusPublisher, BusSubscriber, carTopic, type BusMessage } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/index.ts';
import { configuredSettings, settingsFilePath, watchSettings } from '../settings/index.ts';
import { startWheelBridge } from './bridge.ts';

const wheel: ServiceDefinition = {
  name: 'wheel',
  description: 'race wheel (or virtual wheel) to car control',
  async start(context) {
    const { config, metrics } = context;
    const carId = config.wheel.car;
    const publisher = BusPublisher.connect(context.bus, { counters: metrics.counters });
    const bridge = await startWheelBridge({
      carId,
      config: config.wheel,
      publisher,
      eraseSeconds: config.nuc.recorder.eraseSeconds,
      onStatus: (status) => context.log.info({ status }, 'wheel status'),
    });
    const telemetry = BusSubscriber.connect(context.bus, {
      topics: [carTopic(carId, 'telemetry')],
      counters: metrics.counters,
      log: context.log,
    });
    telemetry.on('telemetry', context.guard.wrap('bus_handler', (message: BusMessage<'telemetry'>) => bridge.syncFromTelemetry(message.header)));
    const counters = bridge.input?.counters ?? bridge.virtual.counters;
    metrics.gauge('wheel_reports_parsed', () => counters.parsed);
    metrics.gauge('wheel_reports_ignored', () => counters.ignored);
    metrics.gauge('wheel_controls', () => counters.controls);
    metrics.gauge('wheel_disconnects', () => counters.disconnects);
    // Mapping changes made through the NUC API (PUT /api/settings/wheel) apply to the next report.
    const stopWatching = watchSettings(settingsFilePath(config.dataDir), context.log, configuredSettings(config), ({ wheel }) => {
      if (!wheel) return;
      bridge.mapper.updateConfig(wheel);
      context.log.info({ mapping: bridge.mapper.config }, 'wheel mapping updated');
    });
    context.ready({ car: carId, device: config.wheel.device });
    return {
      async stop() {
        stopWatching();
        await bridge.stop();
        await telemetry.close();
        await publisher.close();
      },
    };
  },
};

export default wheel;
