/**
 * Calibrating a real car from the dashboard (Donkeycar's `calibrate`): the page's enter/set/save/exit
 * go to the car's actuator as `car/<id>/calibrate`, and the counts the actuator holds come back from
 * its metrics gauges (what reaches the NUC of the car-local `applied`). Sending needs the token;
 * reading is as public as /api/services, which carries the same gauges. A Fastify plugin.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorReplySchema, sendError, tokenGuard } from '../http/index.ts';
import { CalibrateRequestSchema, type CalibrateFields, type CalibrateSink } from './calibrate-request.ts';
import type { FleetState } from './fleet-state.ts';
import { CalibrateReplySchema, CalibrationReplySchema } from './reply-schemas.ts';
import { CarParams } from './status-routes.ts';
import type { CalibrateReply, CalibrationReply } from './wire.ts';

export interface CalibrateRoutesOptions {
  fleet: FleetState;
  sink: CalibrateSink;
  metricsIntervalMs: number;
}

type Gauges = Record<string, number>;

/** A count gauge as the actuator reports it (-1 before its first write); anything else is unknown. */
function countOf(gauges: Gauges, name: string): number | null {
  const value = gauges[name];
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 4095 ? value : null;
}

export function calibrationFromGauges(car: string, gauges: Gauges, reportedMsAgo: number, up: boolean): CalibrationReply {
  return {
    car,
    up,
    reportedMsAgo,
    calibrating: gauges.calibrating === 1,
    estop: gauges.estop === 1,
    steeringCount: countOf(gauges, 'steering_count'),
    throttleCount: countOf(gauges, 'throttle_count'),
    throttleCap: countOf(gauges, 'calibration_throttle_cap'),
    saved: {
      steering: { leftCount: countOf(gauges, 'calibration_left'), rightCount: countOf(gauges, 'calibration_right') },
      throttle: {
        forwardCount: countOf(gauges, 'calibration_forward'),
        stoppedCount: countOf(gauges, 'calibration_stopped'),
        reverseCount: countOf(gauges, 'calibration_reverse'),
      },
    },
    calibrationsSaved: gauges.calibrations_saved ?? 0,
  };
}

export const calibrateRoutes: FastifyPluginAsync<CalibrateRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const requireToken = tokenGuard(app);
  const { fleet } = options;
  const unknownCar = (id: string) => `no car "${id}" has reported to this NUC`;

  const refusals = { 404: ErrorReplySchema };
  app.post(
    '/api/cars/:id/calibrate',
    { onRequest: requireToken, schema: { summary: "enter, set, save or exit a car's calibration (sends car/<id>/calibrate)", params: CarParams, body: CalibrateRequestSchema, response: { 202: CalibrateReplySchema, ...refusals } } },
    async (request, reply) => {
      const { id } = request.params;
      if (!fleet.hasCar(id)) return sendError(reply, 404, 'Not Found', unknownCar(id));
      const fields: CalibrateFields = { ...request.body };
      options.sink(id, fields);
      const answer: CalibrateReply = { car: id, sent: fields };
      return reply.code(202).send(answer);
    },
  );

  app.get('/api/cars/:id/calibration', { schema: { summary: "what the car's actuator holds, from its metrics", params: CarParams, response: { 200: CalibrationReplySchema, ...refusals } } }, async (request, reply) => {
    const { id } = request.params;
    if (!fleet.hasCar(id)) return sendError(reply, 404, 'Not Found', unknownCar(id));
    const report = fleet.serviceReports().find((r) => r.scope === 'car' && r.id === id && r.metrics.service === 'actuator');
    if (!report) return sendError(reply, 404, 'Not Found', `car "${id}" has no actuator reporting to this NUC`);
    const now = Date.now();
    const answer = calibrationFromGauges(id, report.metrics.gauges ?? {}, now - report.receivedAt, fleet.isUp(report, now, options.metricsIntervalMs));
    return answer;
  });
};
