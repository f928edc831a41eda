/**
 * The update repository over HTTP, and the release/rollout records as JSON:
 *   GET /ota/metadata/*   TUF metadata (no-cache: timestamp.json changes on every publish)
 *   GET /ota/targets/*    content-addressed blobs (immutable; Range requests resume downloads)
 *   GET /ota/chunks/*     chunked OS bundles' casync chunks, `<4 hex>/<64 hex>.cacnk` (immutable: named
 *                         by their digest; the car's casync checks each against the bundle's signed index)
 *   GET /api/releases, /api/releases/:version, /api/rollouts[?car=]
 * Cars pull; nothing here pushes to a car. A Fastify plugin: the NUC server registers it.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorReplySchema, sendError } from '../http/index.ts';
import type { CarRollout, OtaDb, ReleaseRecord, RolloutEvent } from './ota-db.ts';
import { ReleaseRecordSchema, ReleasesReplySchema, RolloutsReplySchema } from './reply-schemas.ts';

export interface OtaRoutesOptions {
  /** the repository root holding metadata/, targets/ and chunks/ */
  repositoryDir: string;
  db: OtaDb;
}

/** A release as listed: everything but its manifest. */
export type ReleaseSummary = Omit<ReleaseRecord, 'manifest'>;

/** `GET /api/releases` */
export interface ReleasesReply {
  releases: ReleaseSummary[];
}

/** `GET /api/rollouts`: what each car runs, and the update history (newest first). */
export interface RolloutsReply {
  cars: CarRollout[];
  history: RolloutEvent[];
}

// Path and query values arrive as strings and the server does not coerce types: digits, then Number().
const Digits = (maxLength: number) => Type.String({ pattern: `^[1-9][0-9]{0,${maxLength - 1}}$` });
const VersionParams = Type.Object({ version: Digits(9) });

const RolloutsQuery = Type.Object(
  { car: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })), limit: Type.Optional(Digits(3)) },
  { additionalProperties: false },
);

export const otaRoutes: FastifyPluginAsync<OtaRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const root = path.resolve(options.repositoryDir);
  const subs = ['metadata', 'targets', 'chunks'] as const;
  for (const sub of subs) fs.mkdirSync(path.join(root, sub), { recursive: true });
  for (const sub of subs) {
    await app.register(fastifyStatic, {
      root: path.join(root, sub),
      prefix: `/ota/${sub}/`,
      // the dashboard registers @fastify/static too; only one may decorate the reply
      decorateReply: false,
      index: false,
      list: false,
      dotfiles: 'deny',
      acceptRanges: true,
      cacheControl: false,
      setHeaders: (reply) => {
        reply.header('cache-control', sub === 'metadata' ? 'no-cache' : 'public, max-age=31536000, immutable');
      },
    });
  }

  app.get('/api/releases', { schema: { summary: 'every release published, oldest first, without manifests', response: { 200: ReleasesReplySchema } } }, async (): Promise<ReleasesReply> => ({
    releases: options.db.releases().map(({ manifest: _manifest, ...summary }) => summary),
  }));

  app.get('/api/releases/:version', { schema: { summary: 'one release with its manifest', params: VersionParams, response: { 200: ReleaseRecordSchema, 404: ErrorReplySchema } } }, async (request, reply) => {
    const release = options.db.release(Number(request.params.version));
    if (!release) return sendError(reply, 404, 'Not Found', `release ${request.params.version} does not exist`);
    return release;
  });

  app.get('/api/rollouts', { schema: { summary: 'what each car runs, and the update history (newest first)', querystring: RolloutsQuery, response: { 200: RolloutsReplySchema } } }, async (request): Promise<RolloutsReply> => {
    const { car } = request.query;
    const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
    return {
      cars: car ? options.db.cars().filter((c) => c.car === car) : options.db.cars(),
      history: options.db.history({ ...(car ? { car } : {}), ...(limit ? { limit } : {}) }),
    };
  });
};
