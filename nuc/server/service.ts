/** The `server` NUC service: Fastify on the configured HTTP port, fed by the NUC bus. */
import { BusSubscriber } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/service.ts';
import { buildServer } from './app.ts';
import { FleetState } from './fleet-state.ts';

const server: ServiceDefinition = {
  name: 'server',
  description: 'HTTP API, metrics and dashboard',
  async start(context) {
    const { config } = context;
    const fleet = new FleetState();
    const subscriber = BusSubscriber.connect(context.bus.subscribers, {
      topics: ['car/', 'nuc/'],
      counters: context.metrics.counters,
      limits: { maxPayloadBytes: config.bus.maxPayloadBytes, maxHeaderBytes: 64 * 1024 },
      log: context.log,
    });
    subscriber.on((message) => fleet.ingest(message));
    const app = await buildServer({
      fleet,
      log: context.log,
      metricsIntervalMs: config.bus.metricsIntervalMs,
      busConnected: () => fleet.serviceReports().length > 0,
    });
    await app.listen({ port: config.nuc.httpPort, host: config.nuc.bindAddress });
    context.ready({ url: `http://localhost:${config.nuc.httpPort}` });
    return {
      async stop() {
        await app.close();
        await subscriber.close();
      },
    };
  },
};

export default server;
