/**
 * The car-local bus: every car service talks through this proxy, so the car keeps driving its own
 * loop when the network to the NUC is gone. It has no keys: its ipc sockets live in the car's run
 * directory, which only the car's user can open (0700).
 */
import { socketMessageLimit, startProxy } from '../../protocol/index.ts';
import { busLimits, type ServiceDefinition } from '../../runtime/index.ts';

const localBus: ServiceDefinition = {
  name: 'proxy',
  description: 'car-local ZeroMQ proxy (XSUB/XPUB on ipc sockets)',
  async start(context) {
    const proxy = await startProxy({
      publishersEndpoint: context.bus.publishers,
      subscribersEndpoint: context.bus.subscribers,
      // a larger message is refused before it is buffered (its sender is disconnected and reconnects)
      maxMessageBytes: socketMessageLimit(busLimits(context.config)),
      counters: context.metrics.counters,
    });
    context.ready({ publishers: context.bus.publishers, subscribers: context.bus.subscribers });
    return { stop: () => proxy.close() };
  },
};

export default localBus;
