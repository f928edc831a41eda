/**
 * The fleet's updates on the server: agent reports become rollout records, `GET /api/fleet` and the
 * `/fleet` socket namespace's `fleet` event show them, and `POST /api/cars/:car/rollback` (token
 * required) re-publishes a car's previous release. `POST /api/models/:name/ship` (token required)
 * publishes a trained model as a model-only release: the cars swap it into their running pilot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import type { BusMessage } from '../../protocol/index.ts';
import { OtaDbError, RollbackRefused, fleetSummary, recordAgentReport, rollbackCar, type FleetCar, type OtaDb, type RollbackPublisher } from '../ota/index.ts';
import { tokenRefusal } from './auth.ts';
import type { FleetState } from './fleet-state.ts';
import type { ModelPublisher } from './ota-signing.ts';

export interface OtaFleetOptions {
  db: OtaDb;
  /**
   * The signer for rollbacks, made per request so keys added after start are found; throws
   * RollbackRefused when there are no online keys or no repository.
   */
  publisher?: () => RollbackPublisher;
  /** where trained models are saved (`<dataDir>/models`), and the signer that ships one; throws RollbackRefused without keys */
  models?: { dir: string; publisher: () => ModelPublisher };
  /** how often progress is pushed to `/fleet` while someone watches; default 1 s */
  pushIntervalMs?: number;
}

export interface OtaFleet {
  /** records `car/<id>/agent` reports; other messages are ignored */
  ingest(message: BusMessage): void;
  summary(): FleetCar[];
  close(): void;
}

const CarParams = Type.Object({ car: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });
const ModelParams = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }) });

/** A release's model name: lowercase, at most 64 characters (the manifest's name rule). */
export function releaseModelName(dirName: string): string {
  return dirName.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'model';
}

function sendError(reply: FastifyReply, statusCode: number, error: string, message: string): FastifyReply {
  return reply.code(statusCode).send({ statusCode, error, message });
}

export function attachOtaFleet(app: FastifyInstance, namespace: Namespace, fleet: FleetState, token: string, log: Logger, options: OtaFleetOptions): OtaFleet {
  const { db } = options;
  const summary = (): FleetCar[] => fleetSummary(db, fleet.carStates());
  const push = (): void => {
    if (namespace.sockets.size > 0) namespace.emit('fleet', summary());
  };

  namespace.on('connection', (socket) => socket.emit('fleet', summary()));
  const timer = setInterval(push, options.pushIntervalMs ?? 1000);
  timer.unref();

  app.get('/api/fleet', async () => ({ cars: summary() }));

  const requireToken = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refusal = tokenRefusal(token, request.headers.authorization);
    if (refusal) await sendError(reply, 401, 'Unauthorized', refusal);
  };
  app.post('/api/cars/:car/rollback', { onRequest: requireToken, schema: { params: CarParams } }, async (request, reply) => {
    const { car } = request.params as { car: string };
    if (!options.publisher) return sendError(reply, 409, 'Conflict', 'rollbacks are not available: this server has no update repository configured');
    try {
      const result = rollbackCar(db, car, options.publisher());
      log.info({ car, from: result.from, rollbackOf: result.rollbackOf, version: result.release.version }, 'rollback published');
      push();
      const { manifest: _manifest, ...release } = result.release;
      return reply.code(201).send({ ...result, release });
    } catch (error) {
      if (error instanceof RollbackRefused) return sendError(reply, 409, 'Conflict', error.message);
      throw error;
    }
  });

  app.post('/api/models/:name/ship', { onRequest: requireToken, schema: { params: ModelParams } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!options.models) return sendError(reply, 409, 'Conflict', 'shipping models is not available: this server has no update repository configured');
    const dir = path.join(options.models.dir, name);
    if (!fs.existsSync(path.join(dir, 'model.json'))) return sendError(reply, 404, 'Not Found', `model ${name} does not exist (no ${name}/model.json under the models folder)`);
    try {
      const manifest = options.models.publisher().publishModel(dir, releaseModelName(name), `model ${name}`);
      db.recordRelease({ version: manifest.version, label: manifest.label, createdAt: manifest.createdAt, manifest });
      log.info({ model: name, version: manifest.version }, 'model shipped as a release');
      push();
      return reply.code(201).send({ version: manifest.version, label: manifest.label, model: manifest.model?.name });
    } catch (error) {
      if (error instanceof RollbackRefused) return sendError(reply, 409, 'Conflict', error.message);
      throw error;
    }
  });

  return {
    ingest(message) {
      if (message.topic.scope !== 'car' || message.kind !== 'agent') return;
      try {
        const result = recordAgentReport(db, message.topic.id, message.header);
        if (result.outcome) log.info({ ...result.outcome }, 'rollout recorded');
        if (result.changed) push();
      } catch (error) {
        // a report the database refuses is logged and dropped: it must not stop the server
        if (!(error instanceof OtaDbError)) log.error({ err: error, car: message.topic.id }, 'cannot record the agent report');
        else log.warn({ car: message.topic.id, error: error.message }, 'agent report refused');
      }
    },
    summary,
    close() {
      clearInterval(timer);
    },
  };
}
