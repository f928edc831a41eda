/** The NUC's HTTP server: health, Prometheus metrics, the fleet API, and the dashboard. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { FleetState } from './fleet-state.ts';
import { renderPrometheus } from './prometheus.ts';

export interface ServerOptions {
  fleet: FleetState;
  log: Logger;
  metricsIntervalMs: number;
  /** reports whether the server's own bus subscription is alive */
  busConnected: () => boolean;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // Per-request logs at info would drown the service's own; the server logs warnings and errors.
  const app = Fastify({ loggerInstance: options.log.child({}, { level: 'warn' }) as FastifyBaseLogger });

  app.get('/healthz', async () => ({
    status: 'ok',
    bus: options.busConnected() ? 'connected' : 'waiting',
    uptimeS: Math.round(process.uptime()),
  }));

  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderPrometheus(options.fleet, Date.now(), options.metricsIntervalMs);
  });

  app.get('/api/cars', async () => {
    const now = Date.now();
    return options.fleet.carStates().map((car) => ({ ...car, lastSeenMsAgo: now - car.lastSeen }));
  });

  app.get('/api/services', async () => {
    const now = Date.now();
    return options.fleet.serviceReports().map((report) => ({
      scope: report.scope,
      id: report.id,
      service: report.metrics.service,
      up: options.fleet.isUp(report, now, options.metricsIntervalMs),
      metrics: report.metrics,
    }));
  });

  return app;
}
