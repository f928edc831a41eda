/**
 * The update repository over HTTP, and the release/rollout records as JSON:
 *   GET /ota/metadata/*   TUF metadata (no-cache: timestamp.json changes on every publish)
 *   GET /ota/targets/*    content-addressed blobs (immutable; Range requests resume downloads)
 *   GET /api/releases, /api/releases/:version, /api/rollouts[?car=]
 * Cars pull; nothing here pushes to a car.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { OtaDb } from './ota-db.ts';

export interface OtaRoutesOptions {
  /** the repository root holding metadata/ and targets/ */
  repositoryDir: string;
  db: OtaDb;
}

const VersionParams = {
  type: 'object',
  properties: { version: { type: 'integer', minimum: 1 } },
  required: ['version'],
} as const;

const RolloutsQuery = {
  type: 'object',
  properties: { car: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
  additionalProperties: false,
} as const;

export async function otaRoutes(app: FastifyInstance, options: OtaRoutesOptions): Promise<void> {
  const root = path.resolve(options.repositoryDir);
  for (const sub of ['metadata', 'targets']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  for (const sub of ['metadata', 'targets'] as const) {
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
        reply.header('cache-control', sub === 'targets' ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.get('/api/releases', async () => ({
    releases: options.db.releases().map(({ manifest: _manifest, ...summary }) => summary),
  }));

  app.get<{ Params: { version: number } }>('/api/releases/:version', { schema: { params: VersionParams } }, async (request, reply) => {
    const release = options.db.release(request.params.version);
    if (!release) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `release ${request.params.version} does not exist` });
    return release;
  });

  app.get<{ Querystring: { car?: string; limit?: number } }>('/api/rollouts', { schema: { querystring: RolloutsQuery } }, async (request) => {
    const { car, limit } = request.query;
    return {
      cars: car ? options.db.cars().filter((c) => c.car === car) : options.db.cars(),
      history: options.db.history({ ...(car ? { car } : {}), ...(limit ? { limit } : {}) }),
    };
  });
}
