/**
 * The control and configuration API: car actions, settings, backgrounds, laps. Every route declares
 * JSON schemas for what it takes; changing anything needs the token (`Authorization: Bearer <token>`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { BackgroundError, DEFAULT_MAX_UPLOAD_BYTES, type BackgroundErrorReason, type BackgroundLibrary } from '../compositor/index.ts';
import { CarActionSchema, type CarAction } from './actions.ts';
import { tokenRefusal } from './auth.ts';
import type { ControlRelay } from './control-relay.ts';
import type { FleetState } from './fleet-state.ts';
import type { Leaderboard } from './leaderboard.ts';
import { SETTINGS_NAMES, SETTINGS_SCHEMAS } from '../settings/index.ts';
import { SettingsError, type SettingsStore } from './settings-store.ts';

export interface ApiOptions {
  fleet: FleetState;
  relay: ControlRelay;
  leaderboard: Leaderboard;
  token: string;
  settings: SettingsStore | undefined;
  backgrounds: BackgroundLibrary | undefined;
}

const CarParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });
const BackgroundParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }) });
const UploadQuery = Type.Object(
  { name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }), replace: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) },
  { additionalProperties: false },
);

const BACKGROUND_STATUS: Record<BackgroundErrorReason, number> = {
  'invalid-name': 400,
  empty: 400,
  'too-large': 413,
  'not-an-image': 415,
  'unsupported-type': 415,
  'corrupt-image': 400,
  'too-small': 422,
  'dimensions-too-large': 422,
  exists: 409,
  'not-found': 404,
  'built-in': 409,
};

function sendError(reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error, message });
}

export function registerApiRoutes(app: FastifyInstance, options: ApiOptions): void {
  /** Runs before the body is parsed: without the token nothing about the request is looked at. */
  const requireToken = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refusal = tokenRefusal(options.token, request.headers.authorization);
    if (refusal) await sendError(reply, 401, 'Unauthorized', refusal);
  };

  app.get('/api/cars/:id', { schema: { params: CarParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const car = options.fleet.carStates().find((c) => c.id === id);
    if (!car) return sendError(reply, 404, 'Not Found', `no car "${id}" has reported to this NUC`);
    return { ...car, lastSeenMsAgo: Date.now() - car.lastSeen };
  });

  app.post('/api/cars/:id/actions', { onRequest: requireToken, schema: { params: CarParams, body: CarActionSchema } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!options.fleet.carStates().some((c) => c.id === id)) {
      return sendError(reply, 404, 'Not Found', `no car "${id}" has reported to this NUC`);
    }
    const control = options.relay.action(id, request.body as CarAction);
    return reply.code(202).send({ car: id, sent: control });
  });

  app.get('/api/leaderboard', async () => ({ top: options.leaderboard.top(20), cars: options.leaderboard.cars() }));

  const { settings } = options;
  if (settings) {
    app.get('/api/settings', async () => settings.all());
    for (const name of SETTINGS_NAMES) {
      app.get(`/api/settings/${name}`, async () => settings.get(name));
      app.put(`/api/settings/${name}`, { onRequest: requireToken, schema: { body: SETTINGS_SCHEMAS[name] } }, async (request, reply) => {
        try {
          return await settings.put(name, request.body);
        } catch (error) {
          if (error instanceof SettingsError) return sendError(reply, 400, 'Bad Request', error.message);
          throw error;
        }
      });
    }
  }

  const { backgrounds } = options;
  if (backgrounds) {
    const backgroundError = (reply: FastifyReply, error: unknown) => {
      if (!(error instanceof BackgroundError)) throw error;
      const status = BACKGROUND_STATUS[error.reason];
      return sendError(reply, status, status === 404 ? 'Not Found' : 'Bad Request', error.message);
    };
    app.get('/api/backgrounds', async () => backgrounds.list());
    app.get('/api/backgrounds/:name', { schema: { params: BackgroundParams } }, async (request, reply) => {
      const { name } = request.params as { name: string };
      try {
        const image = await backgrounds.load(name);
        const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
        return reply.type('image/jpeg').header('cache-control', 'no-cache').send(jpeg);
      } catch (error) {
        return backgroundError(reply, error);
      }
    });
    // Uploads are the raw image bytes (Content-Type image/jpeg, image/png or image/webp); the name goes in the query.
    app.addContentTypeParser(['image/jpeg', 'image/png', 'image/webp'], { parseAs: 'buffer', bodyLimit: DEFAULT_MAX_UPLOAD_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    app.post('/api/backgrounds', { onRequest: requireToken, bodyLimit: DEFAULT_MAX_UPLOAD_BYTES, schema: { querystring: UploadQuery } }, async (request, reply) => {
      const { name, replace } = request.query as { name: string; replace?: 'true' | 'false' };
      if (!Buffer.isBuffer(request.body)) {
        return sendError(reply, 415, 'Unsupported Media Type', 'send the image bytes with Content-Type image/jpeg, image/png or image/webp');
      }
      try {
        return reply.code(201).send(await backgrounds.add(name, request.body, { replace: replace === 'true' }));
      } catch (error) {
        return backgroundError(reply, error);
      }
    });
  }
}
