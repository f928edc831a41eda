/**
 * The control and configuration API: car actions, settings, backgrounds. Every route declares JSON
 * schemas for what it takes; changing anything needs the token (`Authorization: Bearer <token>`),
 * checked by the server's one token guard. A Fastify plugin, registered by buildNucServer.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import sharp from 'sharp';
import { BackgroundError, DEFAULT_MAX_UPLOAD_BYTES, type BackgroundErrorReason, type BackgroundLibrary } from '../compositor/index.ts';
import { ErrorReplySchema, sendError, tokenGuard } from '../http/index.ts';
import { CarActionSchema } from './actions.ts';
import type { ControlRelay } from './control-relay.ts';
import type { FleetState } from './fleet-state.ts';
import { SETTINGS_NAMES, SETTINGS_SCHEMAS } from '../settings/index.ts';
import { SettingsError, type SettingsStore } from './settings-store.ts';
import { ActionReplySchema } from './reply-schemas.ts';
import { CarParams } from './status-routes.ts';
import type { ActionReply, BackgroundsReply } from './wire.ts';

export interface ControlRoutesOptions {
  fleet: FleetState;
  relay: ControlRelay;
  settings: SettingsStore | undefined;
  backgrounds: BackgroundLibrary | undefined;
}

const BackgroundParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }) });
/** `png`: lossless, for a browser that keys on its GPU and must match the server's compositor pixel for pixel */
const BackgroundQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('jpeg'), Type.Literal('png')])) }, { additionalProperties: false });
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

export const controlRoutes: FastifyPluginAsync<ControlRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const requireToken = tokenGuard(app);

  app.post(
    '/api/cars/:id/actions',
    { onRequest: requireToken, schema: { summary: 'a driver action for a car: mode, recording, estop (sends car/<id>/control)', params: CarParams, body: CarActionSchema, response: { 202: ActionReplySchema, 404: ErrorReplySchema } } },
    async (request, reply) => {
      const { id } = request.params;
      if (!options.fleet.carStates().some((c) => c.id === id)) {
        return sendError(reply, 404, 'Not Found', `no car "${id}" has reported to this NUC`);
      }
      const answer: ActionReply = { car: id, sent: options.relay.action(id, request.body) };
      return reply.code(202).send(answer);
    },
  );

  const { settings } = options;
  if (settings) {
    const AllSettings = Type.Object(SETTINGS_SCHEMAS);
    app.get('/api/settings', { schema: { summary: 'every live setting (keying, panning, background, wheel)', response: { 200: AllSettings } } }, async () => settings.all());
    for (const name of SETTINGS_NAMES) {
      const schema = SETTINGS_SCHEMAS[name];
      app.get(`/api/settings/${name}`, { schema: { summary: `the ${name} settings`, response: { 200: schema } } }, async () => settings.get(name));
      app.put(`/api/settings/${name}`, { onRequest: requireToken, schema: { summary: `replace the ${name} settings (applied live)`, body: schema, response: { 200: schema, 400: ErrorReplySchema } } }, async (request, reply) => {
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
    const pngs = new Map<string, { etag: string; png: Promise<Buffer> }>();
    const pngOf = (name: string, etag: string): Promise<Buffer> => {
      const cached = pngs.get(name);
      if (cached?.etag === etag) return cached.png;
      const png = backgrounds.load(name).then((image) =>
        sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png({ compressionLevel: 3 }).toBuffer(),
      );
      png.catch(() => pngs.delete(name));
      pngs.set(name, { etag, png });
      return png;
    };
    app.get('/api/backgrounds', async (): Promise<BackgroundsReply> => backgrounds.list());
    app.get('/api/backgrounds/:name', { schema: { params: BackgroundParams, querystring: BackgroundQuery } }, async (request, reply) => {
      const { name } = request.params;
      try {
        const stored = await backgrounds.storedJpeg(name);
        // The browser's WebGL compositor asks for the decoded pixels losslessly (PNG), so its keying sees
        // what the server's does; PNGs are made once per stored version.
        const png = request.query.format === 'png';
        const etag = png ? stored.etag.replace(/"$/, '.png"') : stored.etag;
        // no-cache: the browser keeps it and revalidates; an unchanged file answers 304 with no body
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        if (!png) return reply.type('image/jpeg').send(stored.jpeg);
        return reply.type('image/png').send(await pngOf(name, etag));
      } catch (error) {
        return backgroundError(reply, error);
      }
    });
    // Uploads are the raw image bytes (Content-Type image/jpeg, image/png or image/webp); the name goes in the query.
    app.addContentTypeParser(['image/jpeg', 'image/png', 'image/webp'], { parseAs: 'buffer', bodyLimit: DEFAULT_MAX_UPLOAD_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    app.post('/api/backgrounds', { onRequest: requireToken, bodyLimit: DEFAULT_MAX_UPLOAD_BYTES, schema: { querystring: UploadQuery } }, async (request, reply) => {
      const { name, replace } = request.query;
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
};
