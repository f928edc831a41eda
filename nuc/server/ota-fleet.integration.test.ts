/** Rollouts, the fleet API and rollbacks through the server, with a real signed repository on disk. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TufRepository, carRelease, createKeys, deployPaths, latestRelease, publishRelease, releaseByVersion, type DeployPaths, type OnlineKeys } from '../../deploy/index.ts';
import { OtaDb, otaRoutes, ReleaseHints, timestampVersion, type FleetCar, type ReleaseHintFields } from '../ota/index.ts';
import { buildNucServer, type NucServer } from './app.ts';
import { modelPublisher, rollbackPublisher, timestampSigner } from './ota-signing.ts';
import { busMessage, FakeFeed, serverBasics } from '../../test/support/server-feed.ts';
import type { HeaderOf } from '../../protocol/index.ts';
import { modelDigest, writeEvaluation, type ModelEvaluation } from '../training/model-status.ts';

const TOKEN = 'secret-token';
const auth = { authorization: `Bearer ${TOKEN}` };

let paths: DeployPaths;
let dataDir: string;
let feed: FakeFeed;
let nuc: NucServer;
let db: OtaDb;
let onlineKeys: OnlineKeys;
let hints: ReleaseHints;
let hinted: ReleaseHintFields[];

function publishPilot(code: string): number {
  const repo = TufRepository.open(paths.repositoryDir);
  const manifest = publishRelease(repo, onlineKeys, {
    label: `pilot ${code}`,
    services: { pilot: { entry: 'service.js', files: [{ path: 'service.js', bytes: Buffer.from(code) }], strategy: 'handover', needsHardware: false, externals: [] } },
  });
  db.recordRelease({ version: manifest.version, label: manifest.label, createdAt: manifest.createdAt, manifest });
  return manifest.version;
}

type AgentExtra = Partial<Pick<HeaderOf<'agent'>, 'error' | 'os' | 'osSlots' | 'osUpdate'>>;
const agent = (state: string, release: string, extra: AgentExtra = {}) => feed.emit(busMessage<'agent'>('car/7/agent', { release, slot: 'A', state, progress: 0, ...extra }));

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-fleet-'));
  paths = deployPaths(dataDir);
  const keys = createKeys(paths.keysDir, { servedDir: paths.repositoryDir });
  onlineKeys = { targets: keys.targets, snapshot: keys.snapshot, timestamp: keys.timestamp };
  TufRepository.initialize(paths.repositoryDir, keys);
  db = OtaDb.open(paths.databaseFile);
  feed = new FakeFeed();
  hinted = [];
  hints = new ReleaseHints({ send: (fields) => hinted.push(fields), timestamp: () => timestampVersion(path.join(paths.repositoryDir, 'metadata', 'timestamp.json')) ?? 0, minIntervalMs: 0 });
  nuc = await buildNucServer({
    ...serverBasics(TOKEN, feed),
    dashboardDir: path.join(dataDir, 'no-dist'),
    ota: { db, hints, publisher: () => rollbackPublisher(paths), models: { dir: path.join(dataDir, 'models'), publisher: () => modelPublisher(paths, db) }, pushIntervalMs: 50 },
  });
  await otaRoutes(nuc.app, { repositoryDir: paths.repositoryDir, db });
});

afterEach(async () => {
  hints.close();
  await nuc.app.close();
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function fleet(): Promise<FleetCar[]> {
  return ((await nuc.app.inject('/api/fleet')).json() as { cars: FleetCar[] }).cars;
}

describe('fleet updates on the server', () => {
  it('records each car\'s rollouts from its agent reports and shows them in /api/fleet', async () => {
    const v1 = publishPilot('one');
    const v2 = publishPilot('two');
    agent('idle', `pilot one v${v1}`);
    agent('downloading', `pilot two v${v2}`);
    expect((await fleet())[0]).toMatchObject({ car: '7', version: v1, targetVersion: v2, update: { state: 'downloading', release: `pilot two v${v2}` } });
    agent('idle', `pilot two v${v2}`);
    agent('idle', `pilot two v${v2}`);
    const [car] = await fleet();
    expect(car).toMatchObject({ version: v2, update: null, services: [{ name: 'pilot', version: v2 }], previousVersion: v1 });
    expect(car!.history.map((e) => [e.from, e.to, e.outcome])).toEqual([[v1, v2, 'installed']]);
  });

  it('rolls one car back with one POST: a new, higher release of its own with the old content, listed in /api/releases', async () => {
    const v1 = publishPilot('one');
    const v2 = publishPilot('two');
    agent('idle', `pilot one v${v1}`);
    agent('downloading', `pilot two v${v2}`);
    agent('idle', `pilot two v${v2}`);
    expect((await nuc.app.inject({ method: 'POST', url: '/api/cars/7/rollback' })).statusCode).toBe(401);
    const response = await nuc.app.inject({ method: 'POST', url: '/api/cars/7/rollback', headers: auth });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ car: '7', from: v2, rollbackOf: v1, release: { version: v2 + 1, rollbackOf: v1 } });
    // for car 7 only: the fleet's release stays
    const repository = TufRepository.open(paths.repositoryDir);
    const own = carRelease(repository, '7')!;
    expect(own).toMatchObject({ version: v2 + 1, rollbackOf: v1 });
    expect(own.services).toEqual(releaseByVersion(repository, v1).services);
    expect(latestRelease(repository)?.version).toBe(v2);
    expect((await nuc.app.inject('/api/releases')).json().releases[0]).toMatchObject({ version: v2 + 1, rollbackOf: v1 });
  });

  it('answers 409 with the reason when there is no previous release or no keys', async () => {
    const v1 = publishPilot('one');
    const unknown = await nuc.app.inject({ method: 'POST', url: '/api/cars/8/rollback', headers: auth });
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json().message).toMatch(/car 8 has no recorded release/);
    agent('idle', `pilot one v${v1}`);
    const first = await nuc.app.inject({ method: 'POST', url: '/api/cars/7/rollback', headers: auth });
    expect(first.statusCode).toBe(409);
    expect(first.json().message).toMatch(/no release before it/);
    fs.rmSync(path.join(paths.keysDir, 'online'), { recursive: true });
    const noKeys = await nuc.app.inject({ method: 'POST', url: '/api/cars/7/rollback', headers: auth });
    expect(noKeys.statusCode).toBe(409);
    expect(noKeys.json().message).toMatch(/online keys are missing/);
    expect(timestampSigner(paths)).toBeUndefined();
  });

  it('pushes the fleet to /fleet watchers as the update moves', async () => {
    const v1 = publishPilot('one');
    await nuc.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = nuc.app.server.address() as { port: number };
    const socket: Socket = connect(`http://127.0.0.1:${port}/fleet`, { transports: ['websocket'], reconnection: false });
    try {
      const seen: FleetCar[][] = [];
      socket.on('fleet', (cars: FleetCar[]) => seen.push(cars));
      await new Promise<void>((resolve) => socket.once('fleet', () => resolve()));
      agent('downloading', `pilot one v${v1}`);
      await new Promise<void>((resolve) => {
        const check = (): void => (seen.some((cars) => cars[0]?.update?.state === 'downloading') ? resolve() : void setTimeout(check, 10));
        check();
      });
    } finally {
      socket.disconnect();
    }
  });

  it('signs a fresh timestamp with the online key', () => {
    const signer = timestampSigner(paths)!;
    const before = signer.expires();
    const versionBefore = TufRepository.open(paths.repositoryDir).versions().timestamp;
    signer.refresh();
    expect(TufRepository.open(paths.repositoryDir).versions().timestamp).toBe(versionBefore + 1);
    expect(Date.parse(signer.expires())).toBeGreaterThanOrEqual(Date.parse(before));
  });

  it('ships a candidate to the cars as a model-only release on top of the running services (token required); anything else only on an override, recorded', async () => {
    publishPilot('v1');
    const modelDir = path.join(dataDir, 'models', 'Fast-2026-11-22_job3');
    fs.mkdirSync(modelDir, { recursive: true });
    fs.writeFileSync(path.join(modelDir, 'model.json'), '{"format":"layers-model"}');
    fs.writeFileSync(path.join(modelDir, 'weights.bin'), Buffer.alloc(64, 7));
    const ship = (name: string, body?: object, headers = auth) => nuc.app.inject({ method: 'POST', url: `/api/models/${name}/ship`, headers, ...(body ? { payload: body } : {}) });
    const evaluated = async (status: ModelEvaluation['status'], reasons: string[]) =>
      writeEvaluation(modelDir, {
        status,
        reasons,
        job: 3,
        valLoss: 0.01,
        angleLoss: 0.008,
        throttleLoss: 0.002,
        tracks: [],
        evalLaps: 2,
        gate: { minCleanLaps: 1, rejectOffTrack: true, tracks: [] },
        modelSha256: await modelDigest(modelDir),
        evaluatedAt: new Date().toISOString(),
      });

    expect((await ship('Fast-2026-11-22_job3', undefined, {} as typeof auth)).statusCode).toBe(401);
    const missing = await ship('no-such-model');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/model no-such-model does not exist/);
    expect((await ship('..%2Fetc')).statusCode).toBe(400);
    expect((await ship('Fast-2026-11-22_job3', { override: 'yes' })).statusCode).toBe(400);

    // never evaluated: refused, then shipped on an explicit override that the release history keeps
    const unevaluated = await ship('Fast-2026-11-22_job3');
    expect(unevaluated.statusCode).toBe(409);
    expect(unevaluated.json().message).toBe('model Fast-2026-11-22_job3 is not evaluated: never evaluated in the simulator. Ship it only with an explicit override');
    const overridden = await ship('Fast-2026-11-22_job3', { override: true });
    expect(overridden.statusCode).toBe(201);
    expect(overridden.json()).toMatchObject({ version: 2, model: 'fast-2026-11-22_job3', override: 'shipped on an override: not evaluated (never evaluated in the simulator)' });
    const release = latestRelease(TufRepository.open(paths.repositoryDir))!;
    expect(Object.keys(release.services)).toEqual(['pilot']);
    expect(release.model?.files.map((f) => f.path).sort()).toEqual(['model.json', 'weights.bin']);
    const releases = (await nuc.app.inject('/api/releases')).json().releases as { version: number; override: string | null }[];
    expect(releases.find((r) => r.version === 2)?.override).toMatch(/^shipped on an override: not evaluated/);

    // rejected by the gate: refused with its reasons
    await evaluated('rejected', ['default: 0 clean laps of 2, the gate needs 1', 'twisty: the run ended off the track']);
    const rejected = await ship('Fast-2026-11-22_job3');
    expect(rejected.statusCode).toBe(409);
    expect(rejected.json().message).toMatch(/is rejected by the candidate gate: default: 0 clean laps of 2, the gate needs 1; twisty: the run ended off the track\. Ship it only with an explicit override/);

    // a candidate ships as it is, with nothing overridden
    await evaluated('candidate', []);
    const candidate = await ship('Fast-2026-11-22_job3');
    expect(candidate.statusCode).toBe(201);
    expect(candidate.json()).toMatchObject({ version: 3, override: null });
    // weights changed after the evaluation: no longer a candidate
    fs.writeFileSync(path.join(modelDir, 'weights.bin'), Buffer.alloc(64, 8));
    expect((await ship('Fast-2026-11-22_job3')).json().message).toMatch(/its files changed after it was evaluated/);

    fs.rmSync(path.join(paths.keysDir, 'online'), { recursive: true, force: true });
    const noKeys = await ship('Fast-2026-11-22_job3', { override: true });
    expect(noKeys.statusCode).toBe(409);
    expect(noKeys.json().message).toMatch(/online keys are missing/);
  });
  it('after the fleet rolled back from a pilot release, shipping a model builds on the last healthy release and the failed one shows withdrawn', async () => {
    publishPilot('one');
    const v2 = publishPilot('two');
    const v3 = publishPilot('three crashes');
    agent('idle', 'pilot one v1');
    agent('downloading', `pilot two v${v2}`);
    agent('idle', `pilot two v${v2}`);
    agent('downloading', `pilot three crashes v${v3}`);
    agent('rolling-back', `pilot three crashes v${v3}`, { error: 'pilot exited with code 1' });
    agent('idle', `pilot two v${v2}`);
    const reason = 'rolled back on car 7: pilot exited with code 1';
    const [car] = await fleet();
    expect(car!.history[0]).toMatchObject({ from: v2, to: v3, outcome: 'rolled-back', withdrawn: reason });
    expect(car!.history[1]).toMatchObject({ to: v2, outcome: 'installed', withdrawn: null });

    const modelDir = path.join(dataDir, 'models', 'after-rollback');
    fs.mkdirSync(modelDir, { recursive: true });
    fs.writeFileSync(path.join(modelDir, 'model.json'), '{"format":"layers-model"}');
    const shipped = await nuc.app.inject({ method: 'POST', url: '/api/models/after-rollback/ship', headers: auth, payload: { override: true } });
    expect(shipped.statusCode).toBe(201);
    expect(shipped.json()).toMatchObject({ version: v3 + 1, builtOn: v2 });
    const repository = TufRepository.open(paths.repositoryDir);
    const release = latestRelease(repository)!;
    expect(release.model?.name).toBe('after-rollback');
    expect(release.services).toEqual(releaseByVersion(repository, v2).services);
    // what a car fetches for the pilot is the healthy one, not the pilot it just rolled back from
    expect(repository.readTarget('services/pilot/service.js').toString()).toBe('two');
    const releases = (await nuc.app.inject('/api/releases')).json().releases as { version: number; withdrawn: string | null }[];
    expect(releases.map((r) => [r.version, r.withdrawn])).toEqual([
      [v3 + 1, null],
      [v3, reason],
      [v2, null],
      [1, null],
    ]);
  });

  describe('the car OS', () => {
    /** A release carrying an OS (recorded as published; the repository's files do not matter here). */
    function recordOsRelease(version: number, os: string): void {
      const bundle = { path: 'os.raucb', target: `os/car-${os}-qemu-x86_64.raucb`, sha256: 'a'.repeat(64), length: 1 };
      db.recordRelease({ version, label: `os ${os}`, createdAt: new Date().toISOString(), manifest: { schema: 1, version, label: `os ${os}`, createdAt: '', services: {}, os: { version: os, compatible: 'edge-car-qemu-x86_64', bundle } } });
    }
    const slots = (b: 'good' | 'bad' | 'inactive', booted: 'A' | 'B' = 'A'): HeaderOf<'agent'>['osSlots'] => ({ booted, A: { state: 'good', version: '0.1.0-aaaa' }, B: { state: b, version: '0.2.0-bbbb' } });
    const reboot = (car: string, headers: Record<string, string> = auth) => nuc.app.inject({ method: 'POST', url: `/api/fleet/${car}/os-reboot`, headers });

    it("shows each car's OS version, slots and last OS update in /api/fleet, as its schema says", async () => {
      const v1 = publishPilot('one');
      agent('idle', `pilot one v${v1}`, { os: '0.1.0-aaaa', osSlots: slots('inactive'), osUpdate: { version: '0.2.0-bbbb', outcome: 'installing', at: 1_700_000_000_000, downloadedBytes: 12_345_678 } });
      const [car] = await fleet();
      expect(car).toMatchObject({
        os: '0.1.0-aaaa',
        osSlots: { booted: 'A', A: { state: 'good', version: '0.1.0-aaaa' }, B: { state: 'inactive', version: '0.2.0-bbbb' } },
        osUpdate: { version: '0.2.0-bbbb', outcome: 'installing', at: 1_700_000_000_000, downloadedBytes: 12_345_678 },
      });
      // as recorded: a NUC that hears the car no more serves the same
      expect(db.carOs('7')?.osUpdate).toMatchObject({ downloadedBytes: 12_345_678 });
      // a car without the project's image reports none
      feed.emit(busMessage<'agent'>('car/8/agent', { release: 'none', slot: 'A', state: 'idle', progress: 0 }));
      expect((await fleet()).find((c) => c.car === '8')).toMatchObject({ os: null, osSlots: null, osUpdate: null });
      // the schema names them: /api/openapi.json shows them
      const schema = (await nuc.app.inject('/api/openapi.json')).json().paths['/api/fleet'].get.responses['200'].content['application/json'].schema;
      expect(Object.keys(schema.properties.cars.items.properties)).toEqual(expect.arrayContaining(['os', 'osSlots', 'osUpdate']));
      const osUpdate = schema.properties.cars.items.properties.osUpdate.anyOf.find((s: { type?: string }) => s.type === 'object');
      expect(osUpdate.properties.downloadedBytes).toMatchObject({ type: 'integer', minimum: 0 });
      const route = (await nuc.app.inject('/api/openapi.json')).json().paths['/api/fleet/{car}/os-reboot'].post;
      expect(route.security).toEqual([{ token: [] }]);
      expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(['202', '401', '404', '409']));
    });

    it('lets an operator reboot a car waiting for its OS update: token, 404, 409, then the release hint names it', async () => {
      const v1 = publishPilot('one');
      recordOsRelease(v1 + 1, '0.2.0-bbbb');
      agent('os-installing', `os 0.2.0-bbbb v${v1 + 1}`, { os: '0.1.0-aaaa', osSlots: slots('inactive'), osUpdate: { version: '0.2.0-bbbb', outcome: 'installing', at: 1 } });
      expect((await reboot('7', {})).statusCode).toBe(401);
      const unknown = await reboot('99');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().message).toBe('no car "99" has reported to this NUC');
      expect((await reboot('../7')).statusCode).toBe(404);
      const notYet = await reboot('7');
      expect(notYet.statusCode).toBe(409);
      expect(notYet.json().message).toBe('car 7 has no OS update waiting for a reboot: its last OS update (0.2.0-bbbb) is installing');
      expect(hinted).toEqual([]);

      agent('os-pending-reboot', `os 0.2.0-bbbb v${v1 + 1}`, { os: '0.1.0-aaaa', osSlots: slots('good'), osUpdate: { version: '0.2.0-bbbb', outcome: 'pending-reboot', at: 2 } });
      const accepted = await reboot('7');
      expect(accepted.statusCode).toBe(202);
      expect(accepted.json()).toEqual({ car: '7', version: '0.2.0-bbbb', osReboot: ['7'] });
      const timestamp = TufRepository.open(paths.repositoryDir).versions().timestamp;
      expect(hinted).toEqual([{ timestamp, osReboot: ['7'] }]);
      // the car moves on: the next hint no longer names it
      agent('os-rebooting', `os 0.2.0-bbbb v${v1 + 1}`, { os: '0.1.0-aaaa', osSlots: slots('good'), osUpdate: { version: '0.2.0-bbbb', outcome: 'rebooting', at: 3 } });
      hints.published(timestamp + 1);
      expect(hinted.at(-1)).toEqual({ timestamp: timestamp + 1 });
      agent('idle', `os 0.2.0-bbbb v${v1 + 1}`, { os: '0.2.0-bbbb', osSlots: slots('good', 'B'), osUpdate: { version: '0.2.0-bbbb', outcome: 'good', at: 4 } });
      const [car] = await fleet();
      expect(car).toMatchObject({ version: v1 + 1, os: '0.2.0-bbbb', osSlots: { booted: 'B' }, osUpdate: { outcome: 'good' } });
      expect((await reboot('7')).statusCode).toBe(409);
    });

    it('withdraws a release whose OS a car rolled back from, like a service rollback', async () => {
      const v1 = publishPilot('one');
      recordOsRelease(v1 + 1, '0.2.0-bbbb');
      agent('idle', `pilot one v${v1}`, { os: '0.1.0-aaaa', osSlots: slots('inactive') });
      agent('os-pending-reboot', `os 0.2.0-bbbb v${v1 + 1}`, { os: '0.1.0-aaaa', osSlots: slots('good'), osUpdate: { version: '0.2.0-bbbb', outcome: 'pending-reboot', at: 2 } });
      const reason = 'booted slot A, the trial was on B (journal of the failed boot: none, the journal is volatile)';
      agent('idle', `pilot one v${v1}`, { os: '0.1.0-aaaa', osSlots: slots('bad'), osUpdate: { version: '0.2.0-bbbb', outcome: 'rolled-back', reason, at: 3 } });
      agent('idle', `pilot one v${v1}`, { os: '0.1.0-aaaa', osSlots: slots('bad'), osUpdate: { version: '0.2.0-bbbb', outcome: 'rolled-back', reason, at: 3 } });
      const [car] = await fleet();
      expect(car!.history.map((e) => [e.from, e.to, e.outcome, e.error, e.withdrawn])).toEqual([[v1, v1 + 1, 'rolled-back', `OS 0.2.0-bbbb: ${reason}`, `rolled back on car 7: OS 0.2.0-bbbb: ${reason}`]]);
      expect(car).toMatchObject({ version: v1, osUpdate: { outcome: 'rolled-back', reason } });
      const releases = (await nuc.app.inject('/api/releases')).json().releases as { version: number; withdrawn: string | null }[];
      expect(releases.find((r) => r.version === v1 + 1)?.withdrawn).toMatch(/^rolled back on car 7: OS 0\.2\.0-bbbb/);
    });
  });
});
