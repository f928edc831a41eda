/**
 * The fleet's updates on the server: agent reports become rollout records, `GET /api/fleet` and the
 * `/fleet` socket namespace's `fleet` event show them, and `POST /api/cars/:car/rollback` (token
 * required) re-publishes a car's previous release. `POST /api/models/:name/ship` (token required)
 * publishes a trained model as a model-only release: the cars swap it into their running pilot.
 * The agent's OS report is kept too (a rolled-back or failed OS update fails its release), and
 * `POST /api/fleet/:car/os-reboot` (token required) lets a car waiting for the operator reboot into
 * its installed OS update: the next release hint names it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Guard } from '../../runtime/index.ts';
import type { BusMessage } from '../../protocol/index.ts';
import { ErrorReplySchema, sendError, tokenGuard } from '../http/index.ts';
import {
  AgentReportGate,
  FleetReplySchema,
  OsRebootReplySchema,
  OtaDbError,
  RollbackRefused,
  RollbackReplySchema,
  fleetSummary,
  recordAgentReport,
  recordOsReport,
  rollbackCar,
  type FleetCar,
  type OtaDb,
  type ReleaseHints,
  type RollbackPublisher,
} from '../ota/index.ts';
import { modelStanding, overrideNote, shipRefusal } from '../training/index.ts';
import type { FleetState } from './fleet-state.ts';
import type { ModelPublisher } from './ota-signing.ts';
import { ShipReplySchema } from './reply-schemas.ts';
import type { LiveNamespace } from './sockets.ts';
import type { FleetReply, OsRebootReply, RollbackReply, ShipReply } from './wire.ts';

export interface OtaFleetOptions {
  db: OtaDb;
  /**
   * The signer for rollbacks, made per request so keys added after start are found; throws
   * RollbackRefused when there are no online keys or no repository.
   */
  publisher?: () => RollbackPublisher;
  /** where trained models are saved (`<dataDir>/models`), and the signer that ships one; throws RollbackRefused without keys */
  models?: { dir: string; publisher: () => ModelPublisher };
  /** the release hint (`nuc/ota/release`): the operator's OS reboots go out with it; without it they are refused (409) */
  hints?: ReleaseHints;
  /** how often progress is pushed to `/fleet` while someone watches; default 1 s */
  pushIntervalMs?: number;
  /** per car: state changes written at once, and regained per second */
  reportBurst?: number;
  reportsPerSecond?: number;
}

export interface OtaFleet {
  /** records `car/<id>/agent` reports; other messages are ignored */
  ingest(message: BusMessage): void;
  summary(): FleetCar[];
  /** agent reports not recorded, by reason: a version this NUC never published, or too many changes too fast */
  refused: Readonly<Record<string, number>>;
  /** pushes the summary to `/fleet` now, if anyone watches */
  push(): void;
  close(): void;
}

const CarParams = Type.Object({ car: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }) });
const ModelParams = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }) });
/** `override: true` ships a model that is not a candidate; without it only candidates ship. */
const ShipBody = Type.Union([Type.Object({ override: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), Type.Null()]);

/** A release's model name: lowercase, at most 64 characters (the manifest's name rule). */
export function releaseModelName(dirName: string): string {
  return dirName.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'model';
}

/** Rollout records from agent reports, and the `fleet` event on `/fleet` (on connect and while updates move). */
export function attachOtaFleet(namespace: LiveNamespace<'/fleet'>, fleet: FleetState, log: Logger, guard: Guard, options: OtaFleetOptions): OtaFleet {
  const { db } = options;
  const gate = new AgentReportGate(db, {
    ...(options.reportBurst === undefined ? {} : { burst: options.reportBurst }),
    ...(options.reportsPerSecond === undefined ? {} : { perSecond: options.reportsPerSecond }),
  });
  const summary = (): FleetCar[] => fleetSummary(db, fleet.carStates());
  const push = (): void => {
    if (namespace.sockets.size > 0) namespace.emit('fleet', summary());
  };

  namespace.on('connection', (socket) => socket.emit('fleet', summary()));
  const stopPushing = guard.every('fleet_push', options.pushIntervalMs ?? 1000, push);

  return {
    ingest(message) {
      if (message.topic.scope !== 'car' || message.kind !== 'agent') return;
      try {
        const car = message.topic.id;
        const header = message.header;
        options.hints?.osUpdateSeen(car, header.osUpdate?.outcome);
        const admit = (): string | undefined => gate.admit(car, header, Date.now());
        const now = new Date();
        const result = recordAgentReport(db, car, header, now, admit);
        // after the service records: an agent that also reported the failure as a service rollback keeps one history row
        const os = recordOsReport(db, car, header, now, admit);
        for (const refused of new Set([result.refused, os.refused].filter(Boolean))) log.debug({ car, reason: refused, release: header.release }, 'agent report not recorded');
        if (result.outcome) log.info({ ...result.outcome }, 'rollout recorded');
        if (os.outcome) log.warn({ ...os.outcome, osUpdate: header.osUpdate }, 'OS update failed: its release is recorded as failed on this car');
        if (result.changed || os.changed) push();
      } catch (error) {
        // a report the database refuses is logged and dropped: it must not stop the server
        if (!(error instanceof OtaDbError)) log.error({ err: error, car: message.topic.id }, 'cannot record the agent report');
        else log.warn({ car: message.topic.id, error: error.message }, 'agent report refused');
      }
    },
    summary,
    refused: gate.refused,
    push,
    close() {
      stopPushing();
    },
  };
}

export interface FleetRoutesOptions extends OtaFleetOptions {
  ota: OtaFleet;
  log: Logger;
}

/** `GET /api/fleet`, and with the token rollbacks and model shipping. A Fastify plugin, registered by buildNucServer. */
export const fleetRoutes: FastifyPluginAsync<FleetRoutesOptions> = async (instance, options) => {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { db, ota, log } = options;
  const requireToken = tokenGuard(app);

  const refusals = { 404: ErrorReplySchema, 409: ErrorReplySchema };
  app.get('/api/fleet', { schema: { summary: "each car's release, services, model, update progress and history", response: { 200: FleetReplySchema } } }, async (): Promise<FleetReply> => ({ cars: ota.summary() }));

  app.post('/api/cars/:car/rollback', { onRequest: requireToken, schema: { summary: 'roll one car back to its previous release (a signed release of its own)', params: CarParams, response: { 201: RollbackReplySchema, ...refusals } } }, async (request, reply) => {
    const { car } = request.params;
    if (!options.publisher) return sendError(reply, 409, 'Conflict', 'rollbacks are not available: this server has no update repository configured');
    try {
      const result = rollbackCar(db, car, options.publisher());
      log.info({ car, from: result.from, rollbackOf: result.rollbackOf, version: result.release.version }, 'rollback published');
      ota.push();
      const { manifest: _manifest, ...release } = result.release;
      const answer: RollbackReply = { ...result, release };
      return reply.code(201).send(answer);
    } catch (error) {
      if (error instanceof RollbackRefused) return sendError(reply, 409, 'Conflict', error.message);
      throw error;
    }
  });

  app.post('/api/fleet/:car/os-reboot', { onRequest: requireToken, schema: { summary: 'let a car whose OS update waits for the operator reboot into it now: the next release hint names it', params: CarParams, response: { 202: OsRebootReplySchema, ...refusals } } }, async (request, reply) => {
    const { car } = request.params;
    const known = ota.summary().find((c) => c.car === car);
    if (!known) return sendError(reply, 404, 'Not Found', `no car "${car}" has reported to this NUC`);
    if (!options.hints) return sendError(reply, 409, 'Conflict', 'OS reboots are not available: this server sends no release hints');
    const update = known.osUpdate;
    if (update?.outcome !== 'pending-reboot') {
      const now = update ? `its last OS update (${update.version}) is ${update.outcome}` : 'it has reported no OS update';
      return sendError(reply, 409, 'Conflict', `car ${car} has no OS update waiting for a reboot: ${now}`);
    }
    const osReboot = options.hints.allowOsReboot(car);
    log.info({ car, os: update.version, osReboot }, 'operator let the car reboot into its OS update');
    const answer: OsRebootReply = { car, version: update.version, osReboot };
    return reply.code(202).send(answer);
  });

  app.post('/api/models/:name/ship', { onRequest: requireToken, schema: { summary: 'publish a model-only release of a model (a non-candidate needs `override: true`)', params: ModelParams, body: Type.Optional(ShipBody), response: { 201: ShipReplySchema, ...refusals } } }, async (request, reply) => {
    const { name } = request.params;
    if (!options.models) return sendError(reply, 409, 'Conflict', 'shipping models is not available: this server has no update repository configured');
    const dir = path.join(options.models.dir, name);
    if (!fs.existsSync(path.join(dir, 'model.json'))) return sendError(reply, 404, 'Not Found', `model ${name} does not exist (no ${name}/model.json under the models folder)`);
    const standing = await modelStanding(dir);
    const overridden = standing.status !== 'candidate';
    if (overridden && request.body?.override !== true) return sendError(reply, 409, 'Conflict', shipRefusal(name, standing));
    try {
      const { manifest, base } = options.models.publisher().publishModel(dir, releaseModelName(name), `model ${name}`);
      const override = overridden ? overrideNote(standing) : null;
      db.recordRelease({ version: manifest.version, label: manifest.label, createdAt: manifest.createdAt, override, manifest });
      if (base.skipped.length > 0) log.warn({ model: name, version: manifest.version, builtOn: base.version, withdrawn: base.skipped }, 'model release built on the last healthy release, not on the withdrawn newest');
      if (override) log.warn({ model: name, version: manifest.version, override }, 'model shipped on an override: it is not a candidate');
      else log.info({ model: name, version: manifest.version, builtOn: base.version }, 'model shipped as a release');
      ota.push();
      const answer: ShipReply = { version: manifest.version, label: manifest.label, model: manifest.model?.name, override, builtOn: base.version };
      return reply.code(201).send(answer);
    } catch (error) {
      if (error instanceof RollbackRefused) return sendError(reply, 409, 'Conflict', error.message);
      throw error;
    }
  });
};
