/** The NUC's bus proxy: publishers connect to XSUB (5560), subscribers to XPUB (5559), on all interfaces. */
import { startProxy } from '../../protocol/index.ts';
import { nucBusBind, type ServiceDefinition } from '../../runtime/index.ts';

const nucProxy: ServiceDefinition = {
  name: 'proxy',
  description: 'NUC ZeroMQ proxy (XSUB for publishers, XPUB for subscribers)',
  async start(context) {
    const bind = nucBusBind(context.config);
    const proxy = await startProxy({
      publishersEndpoint: bind.publishers,
      subscribersEndpoint: bind.subscribers,
      counters: context.metrics.counters,
    });
    context.ready({ publishers: bind.publishers, subscribers: bind.subscribers });
    return { stop: () => proxy.close() };
  },
};

export default nucProxy;
