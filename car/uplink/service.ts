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
      controlLanes: context.config.car.uplink.controlLanes,
      counters: context.metrics.counters,
      log: context.log,
      wrap: (loop, fn) => context.guard.wrap(loop, fn),
    });
    context.metrics.gauge('link_up', () => (bridge.linkUp ? 1 : 0));
    // each control arrives once per lane: how many copies were extra, and how many a lane brought first
    context.metrics.gauge('control_lane_forwarded', () => bridge.controlLanes.forwarded);
    context.metrics.gauge('control_lane_duplicates', () => bridge.controlLanes.duplicates);
    context.metrics.gauge('control_lane_behind', () => bridge.controlLanes.behind);
    bridge.controlLanes.firstBy.forEach((_, lane) => {
      context.metrics.gauge(`control_lane_${lane}_first`, () => bridge.controlLanes.firstBy[lane]!);
      context.metrics.gauge(`control_lane_${lane}_held_back`, () => bridge.controlLanes.heldBackOn[lane]!);
    });
    context.ready({ nuc: context.nucBus.publishers });
    return { stop: () => bridge.close() };
  },
};

export default uplink;
