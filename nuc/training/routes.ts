/**
 * The training API, mounted in the NUC server:
 *   GET  /api/tubs, /api/tubs/:name/preview[?frames=&height=], and the tub editor's (./tub-routes.ts)
 *   GET  /api/training/jobs, /api/training/jobs/:id
 *   POST /api/training/jobs {tubs, kind?}                     (token)
 *   POST /api/training/jobs/:id/cancel, DELETE /api/training/jobs/:id   (token)
 *   GET  /api/models
 *   POST /api/models/:name/evaluate                           (token) closed loop + the candidate gate
 *   GET  /api/tracks                                          what the arena can race on
 *   POST /api/arena {models, track, laps?, seed?, tub?, from?} (token) two models, one track, one seed
 * and live job changes on the socket.io namespace `/training` (`jobs` on connect, then `job`).
 * A Fastify plugin: the NUC server registers it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Namespace } from 'socket.io';
import { MODEL_KINDS, type ModelKind } from '../../model/index.ts';
import { sendError, tokenGuard } from '../http/index.ts';
import { CatalogError, listModels, listTubInfo, tubPreview, type ModelInfo, type TubInfo } from './catalog.ts';
import type { JobStore } from './job-store.ts';
import { isTubName, TUB_NAME_PATTERN } from './names.ts';
import { tubRoutes } from './tub-routes.ts';
import { trackChoices, type TrackChoice } from './track-choices.ts';
import type { TrainingJob } from './types.ts';

/** What `/training` pushes to the browser: every job on connect, then each job that changed. */
export interface TrainingEvents {
  jobs: (jobs: TrainingJob[]) => void;
  job: (job: TrainingJob) => void;
}

/** `GET /api/tubs` */
export interface TubsReply {
  tubs: TubInfo[];
}

/** `GET /api/training/jobs` (newest first) */
export interface JobsReply {
  jobs: TrainingJob[];
}

/** `GET /api/models` (newest first) */
export interface ModelsReply {
  models: ModelInfo[];
}

/** `GET /api/tracks` */
export interface TracksReply {
  tracks: TrackChoice[];
}

export interface TrainingRoutesOptions {
  store: JobStore;
  tubsDir: string;
  modelsDir: string;
  /** the model kind when a request names none */
  defaultKind: ModelKind;
  /** the `/training` namespace job changes are pushed to */
  live?: Namespace<Record<never, never>, TrainingEvents>;
  /** how often the store is checked for changes to push */
  pushIntervalMs?: number;
  /** nuc.training.evalTracks: the arena offers them beside the simulator's */
  evalTracks?: readonly string[];
  /** track files (*.json) the arena offers, `<dataDir>/tracks` */
  tracksDir?: string;
  /** names of the tubs being recorded right now (the tub editor refuses to edit them) */
  recordingTubs?: () => ReadonlySet<string>;
}

const TubParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });

const PreviewQuery = Type.Object(
  {
    frames: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}$' })),
    height: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  },
  { additionalProperties: false },
);

const JobParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,12}$' }) });

const NewJobBody = Type.Object(
  {
    tubs: Type.Array(Type.String({ pattern: TUB_NAME_PATTERN }), { minItems: 1, maxItems: 100, uniqueItems: true }),
    // an enum rather than a union of literals, so a bad kind is refused with the allowed values
    kind: Type.Optional(Type.Unsafe<ModelKind>({ type: 'string', enum: [...MODEL_KINDS] })),
  },
  { additionalProperties: false },
);

const ModelParams = Type.Object({ name: Type.String({ pattern: TUB_NAME_PATTERN }) });

const ArenaBody = Type.Object(
  {
    models: Type.Tuple([Type.String({ pattern: TUB_NAME_PATTERN }), Type.String({ pattern: TUB_NAME_PATTERN })]),
    track: Type.String({ minLength: 1, maxLength: 512 }),
    laps: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    tub: Type.Optional(Type.String({ pattern: TUB_NAME_PATTERN })),
    from: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
  },
  { additionalProperties: false },
);

const STATUS_TEXT = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity' } as const;

function bounded(text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  return Math.max(min, Math.min(max, Number(text)));
}

async function isTubDir(dir: string): Promise<boolean> {
  return fs.stat(path.join(dir, 'manifest.json')).then((s) => s.isFile(), () => false);
}

async function isModelDir(dir: string): Promise<boolean> {
  return fs.stat(path.join(dir, 'model.json')).then((s) => s.isFile(), () => false);
}

/** The training routes; changing anything needs the token guard the server installed. */
export const trainingRoutes: FastifyPluginAsync<TrainingRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = options;
  const requireToken = tokenGuard(app);

  app.get('/api/tubs', async (): Promise<TubsReply> => ({ tubs: await listTubInfo(options.tubsDir) }));

  app.get('/api/tubs/:name/preview', { schema: { params: TubParams, querystring: PreviewQuery } }, async (request, reply) => {
    const { name } = request.params;
    const { frames, height } = request.query;
    try {
      const jpeg = await tubPreview(options.tubsDir, name, { frames: bounded(frames, 8, 1, 32), height: bounded(height, 60, 16, 240) });
      return reply.type('image/jpeg').header('cache-control', 'no-cache').send(jpeg);
    } catch (error) {
      if (error instanceof CatalogError) return sendError(reply, error.status, STATUS_TEXT[error.status], error.message);
      throw error;
    }
  });

  app.get('/api/training/jobs', async (): Promise<JobsReply> => ({ jobs: store.list(200) }));

  app.get('/api/training/jobs/:id', { schema: { params: JobParams } }, async (request, reply) => {
    const id = Number(request.params.id);
    const job = store.get(id);
    if (!job) return sendError(reply, 404, 'Not Found', `training job ${id} does not exist`);
    return job;
  });

  app.post('/api/training/jobs', { onRequest: requireToken, schema: { body: NewJobBody } }, async (request, reply) => {
    const { tubs, kind } = request.body;
    for (const name of tubs) {
      if (!isTubName(name)) return sendError(reply, 400, 'Bad Request', `'${name}' is not a tub name`);
      if (!(await isTubDir(path.join(options.tubsDir, name)))) return sendError(reply, 404, 'Not Found', `there is no tub '${name}' in ${options.tubsDir}`);
    }
    const job: TrainingJob = store.enqueue({ tubs, kind: kind ?? options.defaultKind, trigger: 'request' });
    return reply.code(201).send(job);
  });

  const cancelRoute = { onRequest: requireToken, schema: { params: JobParams } };
  const cancel = async (id: number, reply: FastifyReply) => {
    const outcome = store.requestCancel(id);
    if (outcome.outcome === 'missing') return sendError(reply, 404, 'Not Found', `training job ${id} does not exist`);
    if (outcome.outcome === 'finished') return sendError(reply, 409, 'Conflict', `training job ${id} already ${outcome.job.state}`);
    return reply.code(202).send(outcome.job);
  };
  app.post('/api/training/jobs/:id/cancel', cancelRoute, async (request, reply) => cancel(Number(request.params.id), reply));
  app.delete('/api/training/jobs/:id', cancelRoute, async (request, reply) => cancel(Number(request.params.id), reply));

  app.get('/api/models', async (): Promise<ModelsReply> => ({ models: await listModels(options.modelsDir) }));

  app.post('/api/models/:name/evaluate', { onRequest: requireToken, schema: { params: ModelParams } }, async (request, reply) => {
    const { name } = request.params;
    if (!isTubName(name) || !(await isModelDir(path.join(options.modelsDir, name)))) return sendError(reply, 404, 'Not Found', `there is no model '${name}' in ${options.modelsDir}`);
    return reply.code(201).send(store.enqueue({ action: 'evaluate', model: name, trigger: 'request' }));
  });

  const tracks = () => trackChoices(options.evalTracks ?? [], options.tracksDir);
  app.get('/api/tracks', async (): Promise<TracksReply> => ({ tracks: await tracks() }));

  app.post('/api/arena', { onRequest: requireToken, schema: { body: ArenaBody } }, async (request, reply) => {
    const { models, track, laps = 2, seed = 1, tub, from } = request.body;
    if (models[0] === models[1]) return sendError(reply, 400, 'Bad Request', 'the arena races two different models');
    for (const name of models) {
      if (!isTubName(name) || !(await isModelDir(path.join(options.modelsDir, name)))) return sendError(reply, 404, 'Not Found', `there is no model '${name}' in ${options.modelsDir}`);
    }
    const choices = await tracks();
    const choice = choices.find((c) => c.id === track);
    if (!choice) return sendError(reply, 400, 'Bad Request', `unknown track '${track}' (choose one of ${choices.map((c) => c.id).join(', ')})`);
    if (tub !== undefined && !(isTubName(tub) && (await isTubDir(path.join(options.tubsDir, tub))))) return sendError(reply, 404, 'Not Found', `there is no tub '${tub}' in ${options.tubsDir}`);
    const job = store.enqueue({ action: 'arena', arena: { models, track: choice.load, laps, seed, ...(tub ? { tub, from: from ?? 0 } : {}) }, trigger: 'request' });
    return reply.code(201).send(job);
  });

  await app.register(tubRoutes, { tubsDir: options.tubsDir, ...(options.recordingTubs ? { recordingTubs: options.recordingTubs } : {}) });

  if (options.live) attachTrainingPush(app, options.live, store, options.pushIntervalMs ?? 500);
};

/** The store is shared with the training process, so changes are found by revision, not by event. */
function attachTrainingPush(app: FastifyInstance, namespace: NonNullable<TrainingRoutesOptions['live']>, store: JobStore, intervalMs: number): void {
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
