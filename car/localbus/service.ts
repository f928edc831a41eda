/**
 * The car-local bus: every car service talks through this proxy, so the car keeps driving its own
 * loop when the network to the NUC is gone.
 */
import { startProxy } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/index.ts';

const localBus: ServiceDefinition = {
  name: 'proxy',
  description: 'car-local ZeroMQ proxy (XSUB/XPUB on ipc sockets)',
  async start(context) {
    const proxy = await startProxy({
      publishersEndpoint: context.bus.publishers,
      subscribersEndpoint: context.bus.subscribers,
      counters: context.metrics.counters,
    });
    context.ready({ publishers: context.bus.publishers, subscribers: context.bus.subscribers });
    return { stop: () => proxy.close() };
  },
};

export default localBus;
