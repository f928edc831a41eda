/**
 * buildNucServer registers every route group itself, the update repository's and the training
 * routes included, behind its one token guard.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { io as connect } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OtaDb } from '../ota/index.ts';
import { JobStore } from '../training/index.ts';
import { buildNucServer, type NucServer } from './app.ts';
import { FleetState } from './fleet-state.ts';
import type { JobsReply, ReleasesReply, TrainingJob, TubsReply } from './wire.ts';

const TOKEN = 'route-groups-token';
let dir: string;
let nuc: NucServer;
let db: OtaDb;
let store: JobStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'route-groups-'));
  db = OtaDb.open(':memory:');
  store = JobStore.open(path.join(dir, 'training.sqlite'));
  nuc = await buildNucServer({
    fleet: new FleetState(),
    log: pino({ level: 'silent' }),
    metricsIntervalMs: 1000,
    busConnected: () => true,
    token: TOKEN,
    dashboardDir: path.join(dir, 'no-dist'),
    repository: { repositoryDir: path.join(dir, 'ota'), db },
    training: { store, tubsDir: path.join(dir, 'tubs'), modelsDir: path.join(dir, 'models'), defaultKind: 'fast' },
  });
});

afterEach(async () => {
  await nuc.app.close();
  db.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the route groups buildNucServer registers', () => {
  it('serves the update repository and its release records', async () => {
    fs.writeFileSync(path.join(dir, 'ota', 'metadata', 'timestamp.json'), '{"signed":{}}');
    const timestamp = await nuc.app.inject('/ota/metadata/timestamp.json');
    expect(timestamp.statusCode).toBe(200);
    expect(timestamp.headers['cache-control']).toBe('no-cache');
    expect((await nuc.app.inject('/api/releases')).json<ReleasesReply>()).toEqual({ releases: [] });
  });

  it('serves the training routes, changes only with the token', async () => {
    expect((await nuc.app.inject('/api/tubs')).json<TubsReply>()).toEqual({ tubs: [] });
    const refused = await nuc.app.inject({ method: 'POST', url: '/api/training/jobs', payload: { tubs: ['session1'] } });
    expect(refused.statusCode).toBe(401);
    const missing = await nuc.app.inject({ method: 'POST', url: '/api/training/jobs', headers: { authorization: `Bearer ${TOKEN}` }, payload: { tubs: ['session1'] } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toMatch(/no tub 'session1'/);
    expect((await nuc.app.inject('/api/training/jobs')).json<JobsReply>()).toEqual({ jobs: [] });
  });

  it('pushes the training jobs on its own /training namespace', async () => {
    const job = store.enqueue({ tubs: ['session1'], kind: 'fast', trigger: 'request' });
    await nuc.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = nuc.app.server.address() as { port: number };
    const socket = connect(`http://127.0.0.1:${port}/training`, { transports: ['websocket'], reconnection: false });
    try {
      const jobs = await new Promise<TrainingJob[]>((resolve) => socket.once('jobs', resolve));
      expect(jobs.map((j) => j.id)).toEqual([job.id]);
    } finally {
      socket.disconnect();
    }
  });
});
