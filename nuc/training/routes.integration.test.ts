import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_AJV, installTokenGuard } from '../http/index.ts';
import { JobStore } from './job-store.ts';
import { trainingRoutes } from './routes.ts';
import { writeTestTub } from '../../test/support/tubs.ts';
import { modelDigest, writeEvaluation } from './model-status.ts';
import type { TrainingJob } from './types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nuc-training-routes-'));
const tubsDir = path.join(root, 'tubs');
const modelsDir = path.join(root, 'models');
const auth = { authorization: 'Bearer secret' };
let app: FastifyInstance;
let io: Server;
let store: JobStore;

beforeAll(async () => {
  await writeTestTub(path.join(tubsDir, 'session1'), 20);
  fs.mkdirSync(path.join(tubsDir, 'broken'));
  fs.writeFileSync(path.join(tubsDir, 'broken', 'manifest.json'), '{oops');
  const model = path.join(modelsDir, 'fast-20250101-100000-job1');
  fs.mkdirSync(model, { recursive: true });
  fs.writeFileSync(
    path.join(model, 'metadata.json'),
    JSON.stringify({ kind: 'fast', tubs: ['session1'], createdAt: '2025-01-01T10:00:00Z', backend: 'wasm', durationS: 12, metrics: { bestValLoss: 0.2, bestEpoch: 3, epochs: 5, trainSamples: 16 } }),
  );
  // an evaluation from before the candidate gate: it counts for nothing
  fs.writeFileSync(
    path.join(model, 'evaluation.json'),
    JSON.stringify({ candidate: true, job: 1, valLoss: 0.19, tracks: [{ track: 'default', lapsAttempted: 2, lapsCompleted: 1, lapsFinished: 2, offTrackEvents: 1, meanAbsCteM: 0.3, lapTimesS: [20, 21], expertLapS: 18 }] }),
  );
  for (const file of ['model.json', 'weights.bin']) fs.writeFileSync(path.join(model, file), file);
  const passed = path.join(modelsDir, 'fast-20250102-100000-job2');
  fs.cpSync(model, passed, { recursive: true });
  fs.writeFileSync(path.join(passed, 'metadata.json'), fs.readFileSync(path.join(model, 'metadata.json'), 'utf8').replace('2025-01-01T10:00:00Z', '2025-01-02T10:00:00Z'));
  const track = { track: 'default', source: 'default', lapsAttempted: 2, lapsCompleted: 2, lapsFinished: 2, offTrackEvents: 0, meanAbsCteM: 0.05, lapTimesS: [14, 13.4], expertLapS: 13.3, endReason: 'laps' as const };
  await writeEvaluation(passed, { status: 'candidate', reasons: [], job: 2, valLoss: 0.01, angleLoss: 0.008, throttleLoss: 0.002, tracks: [track], evalLaps: 2, gate: { minCleanLaps: 1, rejectOffTrack: true, tracks: [] }, modelSha256: await modelDigest(passed), evaluatedAt: '2025-01-02T10:05:00Z' });
  fs.mkdirSync(path.join(modelsDir, '.half-saved'));
  fs.mkdirSync(path.join(root, 'tracks'));
  fs.copyFileSync(path.join(import.meta.dirname, '../../world/tracks/twisty.json'), path.join(root, 'tracks', 'kidney.json'));

  store = JobStore.open(path.join(root, 'training.sqlite'));
  app = Fastify({ ajv: STRICT_AJV });
  io = new Server(app.server);
  await installTokenGuard(app, 'secret');
  await app.register(trainingRoutes, {
    store,
    tubsDir,
    modelsDir,
    defaultKind: 'fast',
    live: io.of('/training'),
    pushIntervalMs: 50,
    evalTracks: ['default', 'twisty', '/srv/tracks/hall.json'],
    tracksDir: path.join(root, 'tracks'),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  io.close();
  await app.close();
  store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('training routes', () => {
  it('lists tubs with records, duration and read errors', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/tubs' });
    expect(res.statusCode).toBe(200);
    const { tubs } = res.json() as { tubs: { name: string; records: number; durationS: number; errors: { message: string | null } }[] };
    expect(tubs.map((t) => t.name)).toEqual(['broken', 'session1']);
    expect(tubs[1]).toMatchObject({ records: 20, durationS: 0.95, deleted: 0, errors: { skipped: 0, message: null } });
    expect(tubs[0]!.errors.message).toMatch(/broken/);
  });

  it('serves a preview strip of evenly spaced frames side by side', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/tubs/session1/preview?frames=4&height=30' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(res.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([4 * 40, 30]);
  });

  it('answers bad and unknown tub names with clear 400/404 messages', async () => {
    const bad = await app.inject({ method: 'GET', url: '/api/tubs/..%2Fetc/preview' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/not a tub name/);
    const missing = await app.inject({ method: 'GET', url: '/api/tubs/nope/preview' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/no tub 'nope'/);
    const badQuery = await app.inject({ method: 'GET', url: '/api/tubs/session1/preview?frames=lots' });
    expect(badQuery.statusCode).toBe(400);
  });

  it('needs the token to start a training job and checks the tubs exist', async () => {
    const body = { tubs: ['session1'] };
    expect((await app.inject({ method: 'POST', url: '/api/training/jobs', payload: body })).statusCode).toBe(401);
    const missing = await app.inject({ method: 'POST', url: '/api/training/jobs', headers: auth, payload: { tubs: ['nope'] } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/no tub 'nope'/);
    const bad = await app.inject({ method: 'POST', url: '/api/training/jobs', headers: auth, payload: { tubs: ['../x'], kind: 'fast' } });
    expect(bad.statusCode).toBe(400);
    const badKind = await app.inject({ method: 'POST', url: '/api/training/jobs', headers: auth, payload: { tubs: ['session1'], kind: 'huge' } });
    expect(badKind.statusCode).toBe(400);

    const created = await app.inject({ method: 'POST', url: '/api/training/jobs', headers: auth, payload: body });
    expect(created.statusCode).toBe(201);
    const job = created.json() as TrainingJob;
    expect(job).toMatchObject({ state: 'queued', tubs: ['session1'], kind: 'fast', trigger: 'request' });
    expect((await app.inject({ method: 'GET', url: `/api/training/jobs/${job.id}` })).json()).toMatchObject({ id: job.id });
    expect((await app.inject({ method: 'GET', url: '/api/training/jobs' })).json().jobs[0].id).toBe(job.id);
    expect((await app.inject({ method: 'GET', url: '/api/training/jobs/999' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/training/jobs/abc' })).statusCode).toBe(400);

    expect((await app.inject({ method: 'DELETE', url: `/api/training/jobs/${job.id}` })).statusCode).toBe(401);
    const cancelled = await app.inject({ method: 'DELETE', url: `/api/training/jobs/${job.id}`, headers: auth });
    expect(cancelled.statusCode).toBe(202);
    expect(cancelled.json().state).toBe('cancelled');
    expect((await app.inject({ method: 'POST', url: `/api/training/jobs/${job.id}/cancel`, headers: auth })).statusCode).toBe(409);
  });

  it('lists models newest first with their standing: a candidate, and one evaluated before the gate (so unevaluated); half-saved ones hidden', async () => {
    const { models } = (await app.inject({ method: 'GET', url: '/api/models' })).json();
    expect(models.map((m: { name: string }) => m.name)).toEqual(['fast-20250102-100000-job2', 'fast-20250101-100000-job1']);
    expect(models[0]).toMatchObject({ kind: 'fast', status: 'candidate', reasons: [], metrics: { valLoss: 0.01, bestEpoch: 3 } });
    expect(models[0].metrics.tracks[0]).toMatchObject({ track: 'default', lapsCompleted: 2, endReason: 'laps' });
    expect(models[1]).toMatchObject({ status: 'unevaluated', reasons: [expect.stringMatching(/from before the candidate gate/)], metrics: { valLoss: 0.2, tracks: [] } });
  });

  it('queues an evaluation of a saved model (token required)', async () => {
    const url = '/api/models/fast-20250101-100000-job1/evaluate';
    expect((await app.inject({ method: 'POST', url })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/models/nope/evaluate', headers: auth })).statusCode).toBe(404);
    const queued = await app.inject({ method: 'POST', url, headers: auth });
    expect(queued.statusCode).toBe(201);
    expect(queued.json()).toMatchObject({ action: 'evaluate', model: 'fast-20250101-100000-job1', state: 'queued' });
  });

  it("offers the arena the simulator's tracks, the configured ones and the track files, and queues a race only on one of them", async () => {
    const { tracks } = (await app.inject('/api/tracks')).json() as { tracks: { id: string; from: string }[] };
    expect(tracks).toEqual([
      { id: 'default', load: 'default', from: 'simulator' },
      { id: 'twisty', load: 'twisty', from: 'simulator' },
      { id: '/srv/tracks/hall.json', load: '/srv/tracks/hall.json', from: 'configured' },
      { id: 'tracks/kidney.json', load: path.join(root, 'tracks', 'kidney.json'), from: 'file' },
    ]);
    const race = (payload: object, headers = auth) => app.inject({ method: 'POST', url: '/api/arena', headers, payload });
    const models = ['fast-20250101-100000-job1', 'fast-20250102-100000-job2'];
    expect((await race({ models, track: 'default' }, {} as typeof auth)).statusCode).toBe(401);
    const sameTwice = await race({ models: [models[0], models[0]], track: 'default' });
    expect([sameTwice.statusCode, sameTwice.json().message]).toEqual([400, 'the arena races two different models']);
    const anyFile = await race({ models, track: '/etc/passwd' });
    expect(anyFile.statusCode).toBe(400);
    expect(anyFile.json().message).toMatch(/unknown track '\/etc\/passwd' \(choose one of default, twisty, \/srv\/tracks\/hall.json, tracks\/kidney.json\)/);
    expect((await race({ models: [models[0], 'ghost'], track: 'default' })).json().message).toMatch(/no model 'ghost'/);
    expect((await race({ models, track: 'default', tub: 'nope' })).statusCode).toBe(404);
    expect((await race({ models, track: 'default', laps: 99 })).statusCode).toBe(400);
    const queued = await race({ models, track: 'tracks/kidney.json', laps: 1, seed: 4, tub: 'session1', from: 5 });
    expect(queued.statusCode).toBe(201);
    expect(queued.json()).toMatchObject({ action: 'arena', arena: { models, track: path.join(root, 'tracks', 'kidney.json'), laps: 1, seed: 4, tub: 'session1', from: 5 } });
  });

  it('pushes job changes to /training watchers', async () => {
    const { port } = app.server.address() as { port: number };
    const socket = connect(`http://127.0.0.1:${port}/training`, { transports: ['websocket'] });
    try {
      const snapshot = await new Promise<TrainingJob[]>((resolve) => socket.once('jobs', resolve));
      expect(Array.isArray(snapshot)).toBe(true);
      const pushed = new Promise<TrainingJob>((resolve) => socket.on('job', (job: TrainingJob) => job.state === 'running' && resolve(job)));
      const job = store.enqueue({ tubs: ['session1'], kind: 'fast', trigger: 'request' });
      store.start(job.id);
      expect((await pushed).id).toBe(job.id);
    } finally {
      socket.close();
    }
  });
});
