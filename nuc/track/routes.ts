/**
 * The shared track, race and race-day API, mounted in the NUC server:
 *   GET    /api/track                              the track's outline (the map draws it)
 *   GET    /api/race                               the session now: phase, lights, clock, standings, crossings, corrections
 *   POST   /api/race {cars, laps} | {kind: 'trial', cars: [car], minutes}   a new session on the grid   (token)
 *   POST   /api/race/start                         the start lights (a trial run: the start)           (token)
 *   DELETE /api/race                               close the session, finished or not                  (token)
 *   POST   /api/race/crossings/:id/strike {by, reason}          strike a false crossing                (token)
 *   POST   /api/race/crossings/:id/assign {car, by, reason}     say which car crossed                  (token)
 *   POST   /api/race/laps {car, raceS, by, reason}              add a missed lap at race time raceS    (token)
 *   POST   /api/race/penalties {car, kind, by, reason}          reset | off-track | contact | jump-start (token)
 *   POST   /api/race/red-flag {by, reason}, /api/race/resume {by, reason}                              (token)
 *   GET    /api/racers, PUT /api/racers/:car {name, colour?}, DELETE /api/racers/:car   registration  (token to change)
 *   GET    /api/races[?limit=]                     finished sessions and their results, newest first
 *   GET    /api/races/:id, /api/races/:id/results.csv, /api/races/:id/corrections.csv
 *   GET    /api/competitions, /api/competitions/:id, /api/competitions/:id/results.csv
 *   POST   /api/competitions {kind, name, cars, seedFrom?, ...}  a time trial, heats or a bracket     (token)
 *   POST   /api/competitions/:id/next {car?}       its next session on the grid                       (token)
 *   POST   /api/cars/:id/reset                     put a simulated car back on the track               (token)
 * A Fastify plugin: the NUC server registers it.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { carColourHex } from '../../protocol/index.ts';
import { sendError, tokenGuard } from '../http/index.ts';
import { competitionCsv, correctionsCsv, resultCsv } from './export.ts';
import { PENALTY_KINDS } from './formats/index.ts';
import type { TrackOutline } from './geometry.ts';
import { RaceControlError, type CompetitionView, type LiveRace, type RaceControl } from './race-control.ts';
import type { Racer } from './racers.ts';
import type { RaceResult } from './race-store.ts';

export interface TrackRoutesOptions {
  control: RaceControl;
}

/** `GET /api/track` */
export type TrackReply = TrackOutline;
/** `GET /api/race` */
export interface RaceReply {
  race: LiveRace | null;
  /** crossings and corrections refused since the NUC started, by reason (never shown, counted) */
  refused: Record<string, number>;
}
/** `GET /api/races` */
export interface RacesReply {
  races: RaceResult[];
}
/** `GET /api/racers` */
export interface RacersReply {
  racers: Racer[];
}
/** `GET /api/competitions` */
export interface CompetitionsReply {
  competitions: CompetitionView[];
}
/** `POST /api/cars/:id/reset` (202) */
export interface ResetReply {
  car: string;
  to: 'track';
}

const CarId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' });
/** A person's text: no control characters. */
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
const WhoFields = { by: Text(40), reason: Text(200) };
const Cars = Type.Array(CarId, { minItems: 1, maxItems: 16, uniqueItems: true });
export const NewRaceSchema = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal('race'), Type.Literal('trial')])),
    cars: Cars,
    laps: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 60 })),
  },
  { additionalProperties: false },
);
const Who = Type.Object(WhoFields, { additionalProperties: false });
const Assign = Type.Object({ car: CarId, ...WhoFields }, { additionalProperties: false });
const AddLap = Type.Object({ car: CarId, raceS: Type.Number({ minimum: 0, maximum: 86_400 }), ...WhoFields }, { additionalProperties: false });
const GivePenalty = Type.Object({ car: CarId, kind: Type.Union(PENALTY_KINDS.map((k) => Type.Literal(k))), ...WhoFields }, { additionalProperties: false });
const RacerBody = Type.Object({ name: Text(40), colour: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })) }, { additionalProperties: false });
const Named = { name: Text(60), cars: Type.Array(CarId, { maxItems: 64, uniqueItems: true }), seedFrom: Type.Optional(Type.Integer({ minimum: 1 })) };
const Laps = Type.Integer({ minimum: 1, maximum: 50 });
export const NewCompetitionSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('time-trial'),
      ...Named,
      minutes: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
      runsPerRacer: Type.Integer({ minimum: 1, maximum: 10 }),
      rank: Type.Union([
        Type.Object({ by: Type.Literal('best-lap') }, { additionalProperties: false }),
        Type.Object({ by: Type.Literal('consecutive'), laps: Type.Integer({ minimum: 2, maximum: 20 }) }, { additionalProperties: false }),
      ]),
    },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('heats'), ...Named, size: Type.Integer({ minimum: 1, maximum: 16 }), laps: Laps }, { additionalProperties: false }),
  Type.Object({ kind: Type.Union([Type.Literal('single-elimination'), Type.Literal('double-elimination')]), ...Named, laps: Laps }, { additionalProperties: false }),
]);
const NextBody = Type.Object({ car: Type.Optional(CarId) }, { additionalProperties: false });
const LimitQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }, { additionalProperties: false });
const CarParams = Type.Object({ id: CarId });
const RacerParams = Type.Object({ car: CarId });
/** path values are strings: a number's digits */
const IdParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,12}$' }) });

const STATUS_TEXT = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity' } as const;

function refused(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof RaceControlError)) throw error;
  return sendError(reply, error.status, STATUS_TEXT[error.status], error.message);
}

function csv(reply: FastifyReply, name: string, body: string): FastifyReply {
  return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(body);
}

export const trackRoutes: FastifyPluginAsync<TrackRoutesOptions> = async (instance, { control }) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const requireToken = tokenGuard(app);
  const outline = control.geometry.outline();
  /** Answers `action`'s value (with `code`), or the refusal it threw. */
  const answer =
    <T>(action: () => T, code = 200) =>
    async (_request: unknown, reply: FastifyReply) => {
      try {
        const value = action();
        return value === undefined ? reply.code(204).send() : reply.code(code).send(value);
      } catch (error) {
        return refused(reply, error);
      }
    };

  app.get('/api/track', async (): Promise<TrackReply> => outline);
  app.get('/api/race', async (): Promise<RaceReply> => ({ race: control.current() ?? null, refused: { ...control.refused } }));
  app.get('/api/races', { schema: { querystring: LimitQuery } }, async (request): Promise<RacesReply> => ({
    races: control.results(Math.min(100, Math.max(1, Number(request.query.limit ?? 20)))),
  }));
  app.get('/api/races/:id', { schema: { params: IdParams } }, async (request, reply) => answer(() => control.result(Number(request.params.id)))(request, reply));
  app.get('/api/races/:id/results.csv', { schema: { params: IdParams } }, async (request, reply) => {
    try {
      return csv(reply, `session-${request.params.id}.csv`, resultCsv(control.result(Number(request.params.id))));
    } catch (error) {
      return refused(reply, error);
    }
  });
  app.get('/api/races/:id/corrections.csv', { schema: { params: IdParams } }, async (request, reply) => {
    try {
      return csv(reply, `session-${request.params.id}-corrections.csv`, correctionsCsv(control.result(Number(request.params.id))));
    } catch (error) {
      return refused(reply, error);
    }
  });

  app.post('/api/race', { onRequest: requireToken, schema: { body: NewRaceSchema } }, async (request, reply) => answer(() => control.createRace(request.body), 201)(request, reply));
  app.post('/api/race/start', { onRequest: requireToken }, answer(() => control.startRace()));
  app.delete('/api/race', { onRequest: requireToken }, answer(() => control.closeRace()));
  app.post('/api/race/crossings/:id/strike', { onRequest: requireToken, schema: { params: IdParams, body: Who } }, async (request, reply) =>
    answer(() => control.strike(Number(request.params.id), request.body))(request, reply),
  );
  app.post('/api/race/crossings/:id/assign', { onRequest: requireToken, schema: { params: IdParams, body: Assign } }, async (request, reply) =>
    answer(() => control.assign(Number(request.params.id), request.body.car, { by: request.body.by, reason: request.body.reason }))(request, reply),
  );
  app.post('/api/race/laps', { onRequest: requireToken, schema: { body: AddLap } }, async (request, reply) =>
    answer(() => control.addLap(request.body.car, request.body.raceS, { by: request.body.by, reason: request.body.reason }), 201)(request, reply),
  );
  app.post('/api/race/penalties', { onRequest: requireToken, schema: { body: GivePenalty } }, async (request, reply) =>
    answer(() => control.penalty(request.body.car, request.body.kind, { by: request.body.by, reason: request.body.reason }), 201)(request, reply),
  );
  app.post('/api/race/red-flag', { onRequest: requireToken, schema: { body: Who } }, async (request, reply) => answer(() => control.redFlag(request.body))(request, reply));
  app.post('/api/race/resume', { onRequest: requireToken, schema: { body: Who } }, async (request, reply) => answer(() => control.resume(request.body))(request, reply));

  app.get('/api/racers', async (): Promise<RacersReply> => ({ racers: control.racers.list() }));
  app.put('/api/racers/:car', { onRequest: requireToken, schema: { params: RacerParams, body: RacerBody } }, async (request, reply) =>
    answer(() => control.registerRacer({ car: request.params.car, name: request.body.name, colour: (request.body.colour ?? carColourHex(request.params.car)).toLowerCase() }))(request, reply),
  );
  app.delete('/api/racers/:car', { onRequest: requireToken, schema: { params: RacerParams } }, async (request, reply) => answer(() => control.removeRacer(request.params.car))(request, reply));

  app.get('/api/competitions', async (): Promise<CompetitionsReply> => ({ competitions: control.competitions() }));
  app.get('/api/competitions/:id', { schema: { params: IdParams } }, async (request, reply) => answer(() => control.competition(Number(request.params.id)))(request, reply));
  app.get('/api/competitions/:id/results.csv', { schema: { params: IdParams } }, async (request, reply) => {
    try {
      return csv(reply, `competition-${request.params.id}.csv`, competitionCsv(control.competition(Number(request.params.id)), (car) => control.racers.of(car).name));
    } catch (error) {
      return refused(reply, error);
    }
  });
  app.post('/api/competitions', { onRequest: requireToken, schema: { body: NewCompetitionSchema } }, async (request, reply) =>
    answer(() => control.createCompetition(request.body), 201)(request, reply),
  );
  app.post('/api/competitions/:id/next', { onRequest: requireToken, schema: { params: IdParams, body: NextBody } }, async (request, reply) =>
    answer(() => control.nextSession(Number(request.params.id), request.body?.car), 201)(request, reply),
  );

  app.post('/api/cars/:id/reset', { onRequest: requireToken, schema: { params: CarParams } }, async (request, reply) => {
    try {
      control.resetCar(request.params.id);
      const body: ResetReply = { car: request.params.id, to: 'track' };
      return reply.code(202).send(body);
    } catch (error) {
      return refused(reply, error);
    }
  });
};
