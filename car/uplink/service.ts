/** The `uplink` car service: bridges this car's bus and the NUC's. */
import type { ServiceDefinition } from '../../runtime/index.ts';
import { startUplink } from './bridge.ts';

const uplink: ServiceDefinition = {
  name: 'uplink',
  description: 'bridges car topics up to the NUC and control down to the car',
  async start(context) {
    const bridge = startUplink({
      carId: context.carId!,
      car: context.bus,
      nuc: context.nucBus,
      frameSendHighWaterMark: context.config.bus.frameSendHighWaterMark,
      counters: context.metrics.counters,
      log: context.log,
      wrap: (loop, fn) => context.guard.wrap(loop, fn),
    });
    context.metrics.gauge('link_up', () => (bridge.linkUp ? 1 : 0));
    context.ready({ nuc: context.nucBus.publishers });
    return { stop: () => bridge.close() };
  },
};

export default uplink;
