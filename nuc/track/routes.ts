/**
 * The shared track and race API, mounted in the NUC server:
 *   GET    /api/track                    the track's outline (the map draws it)
 *   GET    /api/race                     the race now: phase, lights, standings (null when none)
 *   POST   /api/race {cars, laps}        a new race on the grid                        (token)
 *   POST   /api/race/start               the start lights                              (token)
 *   DELETE /api/race                     close the race, finished or not               (token)
 *   GET    /api/races[?limit=]           finished races and their results, newest first
 *   POST   /api/cars/:id/reset           put a simulated car back on the track         (token)
 * A Fastify plugin: the NUC server registers it.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { sendError, tokenGuard } from '../http/index.ts';
import type { TrackOutline } from './geometry.ts';
import { RaceControlError, type RaceControl } from './race-control.ts';
import type { RaceView } from './race.ts';
import type { RaceResult } from './race-store.ts';

export interface TrackRoutesOptions {
  control: RaceControl;
}

/** `GET /api/track` */
export type TrackReply = TrackOutline;
/** `GET /api/race` */
export interface RaceReply {
  race: RaceView | null;
}
/** `GET /api/races` */
export interface RacesReply {
  races: RaceResult[];
}
/** `POST /api/cars/:id/reset` (202) */
export interface ResetReply {
  car: string;
  to: 'track';
}

const CarId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });
export const NewRaceSchema = Type.Object(
  {
    cars: Type.Array(CarId, { minItems: 1, maxItems: 16, uniqueItems: true }),
    laps: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false },
);
const LimitQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }, { additionalProperties: false });
const CarParams = Type.Object({ id: CarId });

const STATUS_TEXT = { 404: 'Not Found', 409: 'Conflict' } as const;

function refused(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof RaceControlError)) throw error;
  return sendError(reply, error.status, STATUS_TEXT[error.status], error.message);
}

export const trackRoutes: FastifyPluginAsync<TrackRoutesOptions> = async (instance, { control }) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const requireToken = tokenGuard(app);
  const outline = control.geometry.outline();

  app.get('/api/track', async (): Promise<TrackReply> => outline);
  app.get('/api/race', async (): Promise<RaceReply> => ({ race: control.current() ?? null }));
  app.get('/api/races', { schema: { querystring: LimitQuery } }, async (request): Promise<RacesReply> => ({
    races: control.results(Math.min(100, Math.max(1, Number(request.query.limit ?? 20)))),
  }));

  app.post('/api/race', { onRequest: requireToken, schema: { body: NewRaceSchema } }, async (request, reply) => {
    try {
      return reply.code(201).send(control.createRace(request.body));
    } catch (error) {
      return refused(reply, error);
    }
  });
  app.post('/api/race/start', { onRequest: requireToken }, async (_request, reply) => {
    try {
      return reply.send(control.startRace());
    } catch (error) {
      return refused(reply, error);
    }
  });
  app.delete('/api/race', { onRequest: requireToken }, async (_request, reply) => {
    try {
      control.closeRace();
      return reply.code(204).send();
    } catch (error) {
      return refused(reply, error);
    }
  });
  app.post('/api/cars/:id/reset', { onRequest: requireToken, schema: { params: CarParams } }, async (request, reply) => {
    try {
      control.resetCar(request.params.id);
      const answer: ResetReply = { car: request.params.id, to: 'track' };
      return reply.code(202).send(answer);
    } catch (error) {
      return refused(reply, error);
    }
  });
};
