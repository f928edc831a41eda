/**
 * The training API, mounted in the NUC server:
 *   GET  /api/tubs, /api/tubs/:name/preview[?frames=&height=]
 *   GET  /api/training/jobs, /api/training/jobs/:id
 *   POST /api/training/jobs {tubs, kind?}                     (token)
 *   POST /api/training/jobs/:id/cancel, DELETE /api/training/jobs/:id   (token)
 *   GET  /api/models
 * and live job changes on the socket.io namespace `/training` (`jobs` on connect, then `job`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'socket.io';
import { MODEL_KINDS, type ModelKind } from '../../model/index.ts';
import { CatalogError, listModels, listTubInfo, tubPreview } from './catalog.ts';
import type { JobStore } from './job-store.ts';
import { isTubName, TUB_NAME_PATTERN } from './names.ts';

export interface TrainingRoutesOptions {
  store: JobStore;
  tubsDir: string;
  modelsDir: string;
  /** the model kind when a request names none */
  defaultKind: ModelKind;
  /** the 401 message for a request without the right token; undefined lets it through */
  refuse: (authorization: string | undefined) => string | undefined;
  /** pushes job changes to `/training` */
  io?: Server;
  /** how often the store is checked for changes to push */
  pushIntervalMs?: number;
}

const TubParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
  required: ['name'],
} as const;

const PreviewQuery = {
  type: 'object',
  properties: {
    frames: { type: 'string', pattern: '^[0-9]{1,2}$' },
    height: { type: 'string', pattern: '^[0-9]{1,3}$' },
  },
  additionalProperties: false,
} as const;

const JobParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[0-9]{1,12}$' } },
  required: ['id'],
} as const;

const NewJobBody = {
  type: 'object',
  properties: {
    tubs: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', pattern: TUB_NAME_PATTERN } },
    kind: { type: 'string', enum: [...MODEL_KINDS] },
  },
  required: ['tubs'],
  additionalProperties: false,
} as const;

function sendError(reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error, message });
}

const STATUS_TEXT = { 400: 'Bad Request', 404: 'Not Found', 422: 'Unprocessable Entity' } as const;

function bounded(text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  return Math.max(min, Math.min(max, Number(text)));
}

async function isTubDir(dir: string): Promise<boolean> {
  return fs.stat(path.join(dir, 'manifest.json')).then((s) => s.isFile(), () => false);
}

export async function trainingRoutes(app: FastifyInstance, options: TrainingRoutesOptions): Promise<void> {
  const { store } = options;
  const requireToken = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refusal = options.refuse(request.headers.authorization);
    if (refusal) await sendError(reply, 401, 'Unauthorized', refusal);
  };

  app.get('/api/tubs', async () => ({ tubs: await listTubInfo(options.tubsDir) }));

  app.get('/api/tubs/:name/preview', { schema: { params: TubParams, querystring: PreviewQuery } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const query = request.query as { frames?: string; height?: string };
    try {
      const jpeg = await tubPreview(options.tubsDir, name, { frames: bounded(query.frames, 8, 1, 32), height: bounded(query.height, 60, 16, 240) });
      return reply.type('image/jpeg').header('cache-control', 'no-cache').send(jpeg);
    } catch (error) {
      if (error instanceof CatalogError) return sendError(reply, error.status, STATUS_TEXT[error.status], error.message);
      throw error;
    }
  });

  app.get('/api/training/jobs', async () => ({ jobs: store.list(200) }));

  app.get('/api/training/jobs/:id', { schema: { params: JobParams } }, async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    const job = store.get(id);
    if (!job) return sendError(reply, 404, 'Not Found', `training job ${id} does not exist`);
    return job;
  });

  app.post('/api/training/jobs', { onRequest: requireToken, schema: { body: NewJobBody } }, async (request, reply) => {
    const body = request.body as { tubs: string[]; kind?: ModelKind };
    for (const name of body.tubs) {
      if (!isTubName(name)) return sendError(reply, 400, 'Bad Request', `'${name}' is not a tub name`);
      if (!(await isTubDir(path.join(options.tubsDir, name)))) return sendError(reply, 404, 'Not Found', `there is no tub '${name}' in ${options.tubsDir}`);
    }
    const job = store.enqueue({ tubs: body.tubs, kind: body.kind ?? options.defaultKind, trigger: 'request' });
    return reply.code(201).send(job);
  });

  const cancel = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = Number((request.params as { id: string }).id);
    const outcome = store.requestCancel(id);
    if (outcome.outcome === 'missing') return sendError(reply, 404, 'Not Found', `training job ${id} does not exist`);
    if (outcome.outcome === 'finished') return sendError(reply, 409, 'Conflict', `training job ${id} already ${outcome.job.state}`);
    return reply.code(202).send(outcome.job);
  };
  app.post('/api/training/jobs/:id/cancel', { onRequest: requireToken, schema: { params: JobParams } }, cancel);
  app.delete('/api/training/jobs/:id', { onRequest: requireToken, schema: { params: JobParams } }, cancel);

  app.get('/api/models', async () => ({ models: await listModels(options.modelsDir) }));

  if (options.io) attachTrainingPush(app, options.io, store, options.pushIntervalMs ?? 500);
}

/** The store is shared with the training process, so changes are found by revision, not by event. */
function attachTrainingPush(app: FastifyInstance, io: Server, store: JobStore, intervalMs: number): void {
  const namespace = io.of('/training');
  namespace.on('connection', (socket) => {
    socket.emit('jobs', store.list(200));
  });
  let seen = store.latestRevision();
  const timer = setInterval(() => {
    try {
      const changed = store.changedSince(seen);
      if (changed.length === 0) return;
      seen = changed[changed.length - 1]!.revision;
      for (const job of changed) namespace.emit('job', job);
    } catch {
      // the database is busy or gone for a moment: the next pass catches up
    }
  }, intervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
