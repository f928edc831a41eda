/**
 * What the server's own routes answer, as TypeBox schemas: Fastify serialises each reply through its
 * schema (a field the schema lacks is never sent, a missing one fails the request) and the OpenAPI
 * document (`/api/openapi.json`) shows them. The car's telemetry, agent report and a service's
 * metrics are the bus headers themselves (protocol/messages.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { HEADER_SCHEMAS } from '../../protocol/index.ts';
import type { ActionReply, CalibrateReply, CalibrationReply, CarSummary, HealthReply, LeaderboardData, ServiceSummary, ShipReply } from './wire.ts';

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

/** What a sender fills in of a bus header: the codec stamps v and seq, and ts unless given. */
const sentFields = <K extends 'control' | 'calibrate'>(kind: K) =>
  Type.Composite([Type.Omit(HEADER_SCHEMAS[kind], ['v', 'seq', 'ts']), Type.Object({ ts: Type.Optional(Type.Number({ unit: 'ms since the epoch' })) })]);

export const ActionReplySchema = Type.Object({ car: Type.String(), sent: sentFields('control') }, { description: 'the control message it sent' });
export const CalibrateReplySchema = Type.Object({ car: Type.String(), sent: sentFields('calibrate') }, { description: "the calibrate message it sent to the car's actuator" });

const CountOrNull = Type.Union([Type.Number({ description: '12-bit PCA9685 count' }), Type.Null()]);
export const CalibrationReplySchema = Type.Object({
  car: Type.String(),
  up: Type.Boolean({ description: "the actuator's metrics keep arriving" }),
  reportedMsAgo: Type.Number({ unit: 'ms' }),
  calibrating: Type.Boolean(),
  estop: Type.Boolean(),
  steeringCount: CountOrNull,
  throttleCount: CountOrNull,
  throttleCap: Type.Union([Type.Number(), Type.Null()], { description: 'how far from stopped the throttle may be moved while calibrating (counts)' }),
  saved: Type.Object({
    steering: Type.Object({ leftCount: CountOrNull, rightCount: CountOrNull }),
    throttle: Type.Object({ forwardCount: CountOrNull, stoppedCount: CountOrNull, reverseCount: CountOrNull }),
  }),
  calibrationsSaved: Type.Integer({ minimum: 0 }),
});

export const ShipReplySchema = Type.Object({
  version: Type.Integer({ description: 'the model-only release it published' }),
  label: Type.String(),
  model: Type.Optional(Type.String({ description: "the model's name in the release" })),
  override: Type.Union([Type.String(), Type.Null()], { description: 'set when it shipped on an override (not a candidate): what was overridden' }),
  builtOn: Type.Union([Type.Integer(), Type.Null()], { description: 'the release whose services it carries' }),
});

// The schemas and the types the dashboard imports must describe the same JSON: these fail to compile otherwise.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<Static<typeof HealthReplySchema>, HealthReply>,
  Same<Static<typeof CarSummarySchema>, CarSummary>,
  Same<Static<typeof ServiceSummarySchema>, ServiceSummary>,
  Same<Static<typeof LeaderboardSchema>, LeaderboardData>,
  Same<Static<typeof ActionReplySchema>, ActionReply>,
  Same<Static<typeof CalibrateReplySchema>, CalibrateReply>,
  Same<Static<typeof CalibrationReplySchema>, CalibrationReply>,
  Same<Static<typeof ShipReplySchema>, ShipReply>,
] = [true, true, true, true, true, true, true, true];
void agree;
