/**
 * What the status routes answer, as TypeBox schemas: Fastify serialises each reply through its
 * schema (a field the schema lacks is never sent, a missing one fails the request) and the OpenAPI
 * document (`/api/openapi.json`) shows them. The car's telemetry, agent report and a service's
 * metrics are the bus headers themselves (protocol/messages.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { HEADER_SCHEMAS } from '../../protocol/index.ts';
import type { CarSummary, HealthReply, LeaderboardData, ServiceSummary } from './wire.ts';

export const HealthReplySchema = Type.Object({
  status: Type.Literal('ok'),
  bus: Type.Union([Type.Literal('connected'), Type.Literal('waiting')], { description: "whether the server's own bus subscription hears the services" }),
  uptimeS: Type.Number({ unit: 's' }),
});

export const CarSummarySchema = Type.Object({
  id: Type.String({ description: 'the car id' }),
  lastSeen: Type.Number({ unit: 'ms since the epoch', description: 'when the NUC last heard from the car' }),
  lastSeenMsAgo: Type.Number({ unit: 'ms' }),
  telemetry: Type.Optional(HEADER_SCHEMAS.telemetry),
  frames: Type.Integer({ minimum: 0, description: 'camera frames received' }),
  views: Type.Integer({ minimum: 0, description: "composited driver's views the NUC's compositor made for this car" }),
  lastFrame: Type.Optional(Type.Object({ seq: Type.Integer(), ts: Type.Number({ unit: 'ms since the epoch' }), width: Type.Integer(), height: Type.Integer() })),
  agent: Type.Optional(HEADER_SCHEMAS.agent),
});

export const ServiceSummarySchema = Type.Object({
  scope: Type.Union([Type.Literal('car'), Type.Literal('nuc')]),
  id: Type.String({ description: 'the car id or the NUC service' }),
  service: Type.String(),
  up: Type.Boolean({ description: 'its metrics keep arriving' }),
  metrics: HEADER_SCHEMAS.metrics,
});

const LapRecordSchema = Type.Object({
  car: Type.String(),
  lap: Type.Integer({ description: "the car's completed-lap count when this lap ended" }),
  timeS: Type.Number({ unit: 's' }),
  at: Type.Number({ unit: 'ms since the epoch', description: 'when the NUC saw it' }),
});
export const LeaderboardSchema = Type.Object({
  top: Type.Array(LapRecordSchema),
  cars: Type.Array(Type.Object({ car: Type.String(), laps: Type.Integer(), lastLapS: Type.Optional(Type.Number({ unit: 's' })), bestLapS: Type.Optional(Type.Number({ unit: 's' })) })),
});

// The schemas and the types the dashboard imports must describe the same JSON: these fail to compile otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<Static<typeof HealthReplySchema>, HealthReply>,
  Same<Static<typeof CarSummarySchema>, CarSummary>,
  Same<Static<typeof ServiceSummarySchema>, ServiceSummary>,
  Same<Static<typeof LeaderboardSchema>, LeaderboardData>,
] = [true, true, true, true];
void agree;
