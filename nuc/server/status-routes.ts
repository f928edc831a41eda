/**
 * What anyone may read, no token needed: health, Prometheus metrics, the cars, the services and
 * the lap leaderboard. A Fastify plugin, registered by buildNucServer.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { sendError } from '../http/index.ts';
import type { FleetState } from './fleet-state.ts';
import type { Leaderboard } from './leaderboard.ts';
import { renderPrometheus } from './prometheus.ts';
import type { CarSummary, HealthReply, LeaderboardData, ServiceSummary } from './wire.ts';

export interface StatusRoutesOptions {
  fleet: FleetState;
  leaderboard: Leaderboard;
  metricsIntervalMs: number;
  /** reports whether the server's own bus subscription is alive */
  busConnected: () => boolean;
}

export const CarParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });

export const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { fleet } = options;

  app.get('/healthz', async (): Promise<HealthReply> => ({
    status: 'ok',
    bus: options.busConnected() ? 'connected' : 'waiting',
    uptimeS: Math.round(process.uptime()),
  }));

  app.get('/metrics', async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderPrometheus(fleet, Date.now(), options.metricsIntervalMs);
  });

  app.get('/api/cars', async (): Promise<CarSummary[]> => fleet.carSummaries(Date.now()));

  app.get('/api/cars/:id', { schema: { params: CarParams } }, async (request, reply) => {
    const { id } = request.params;
    const car = fleet.carSummaries(Date.now()).find((c) => c.id === id);
    if (!car) return sendError(reply, 404, 'Not Found', `no car "${id}" has reported to this NUC`);
    return car;
  });

  app.get('/api/services', async (): Promise<ServiceSummary[]> => {
    const now = Date.now();
    return fleet.serviceReports().map((report) => ({
      scope: report.scope,
      id: report.id,
      service: report.metrics.service,
      up: fleet.isUp(report, now, options.metricsIntervalMs),
      metrics: report.metrics,
    }));
  });

  app.get('/api/leaderboard', async (): Promise<LeaderboardData> => options.leaderboard.board(20));
};
