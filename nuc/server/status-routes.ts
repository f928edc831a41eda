/**
 * What anyone may read, no token needed: health, Prometheus metrics, the cars, the services and
 * the lap leaderboard. A Fastify plugin, registered by buildNucServer.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorReplySchema, sendError } from '../http/index.ts';
import type { FleetState } from './fleet-state.ts';
import type { Leaderboard } from './leaderboard.ts';
import { renderPrometheus } from './prometheus.ts';
import { CarSummarySchema, HealthReplySchema, LeaderboardSchema, ServiceSummarySchema } from './reply-schemas.ts';
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

  app.get('/healthz', { schema: { summary: 'liveness, and whether the server hears the bus', response: { 200: HealthReplySchema } } }, async (): Promise<HealthReply> => ({
    status: 'ok',
    bus: options.busConnected() ? 'connected' : 'waiting',
    uptimeS: Math.round(process.uptime()),
  }));

  app.get('/metrics', { schema: { summary: 'every service\'s and car\'s metrics, Prometheus text format 0.0.4' } }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return renderPrometheus(fleet, Date.now(), options.metricsIntervalMs);
  });

  app.get(
    '/api/cars',
    { schema: { summary: 'every car the NUC heard from recently (forgotten after nuc.carExpiryS)', response: { 200: Type.Array(CarSummarySchema) } } },
    async (): Promise<CarSummary[]> => fleet.carSummaries(Date.now()),
  );

  app.get('/api/cars/:id', { schema: { summary: 'one car: its latest telemetry, agent report, frame counts and last frame', params: CarParams, response: { 200: CarSummarySchema, 404: ErrorReplySchema } } }, async (request, reply) => {
    const { id } = request.params;
    const car = fleet.carSummaries(Date.now()).find((c) => c.id === id);
    if (!car) return sendError(reply, 404, 'Not Found', `no car "${id}" has reported to this NUC`);
    return car;
  });

  app.get('/api/services', { schema: { summary: 'every service that reported metrics, with its latest metrics message', response: { 200: Type.Array(ServiceSummarySchema) } } }, async (): Promise<ServiceSummary[]> => {
    const now = Date.now();
    return fleet.serviceReports().map((report) => ({
      scope: report.scope,
      id: report.id,
      service: report.metrics.service,
      up: fleet.isUp(report, now, options.metricsIntervalMs),
      metrics: report.metrics,
    }));
  });

  app.get('/api/leaderboard', { schema: { summary: 'the 20 fastest laps and every car\'s laps', response: { 200: LeaderboardSchema } } }, async (): Promise<LeaderboardData> => options.leaderboard.board(20));
};
