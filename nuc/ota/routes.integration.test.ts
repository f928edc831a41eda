import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { OtaDb } from './ota-db.ts';
import { otaRoutes } from './routes.ts';
import { STRICT_AJV } from '../http/index.ts';

let app: FastifyInstance | undefined;
let dir: string | undefined;

afterEach(async () => {
  await app?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function serve(): Promise<{ base: string; db: OtaDb; blob: Buffer }> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-routes-'));
  const blob = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  fs.mkdirSync(path.join(dir, 'targets', 'services', 'pilot'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'targets', 'services', 'pilot', 'abc.service.js'), blob);
  fs.mkdirSync(path.join(dir, 'metadata'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'metadata', 'timestamp.json'), '{"signed":{}}');
  const db = OtaDb.open(':memory:');
  app = Fastify({ logger: false, ajv: STRICT_AJV });
  await otaRoutes(app, { repositoryDir: dir, db });
  app.addHook('onClose', async () => db.close());
  return { base: await app.listen({ host: '127.0.0.1', port: 0 }), db, blob };
}

/** A GET whose path is sent as written (fetch would normalise the dot segments away). */
function rawGetStatus(url: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const pathname = url.slice(url.indexOf('/', 'http://'.length));
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: pathname }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

describe('otaRoutes', () => {
  it('resumes a blob download with a Range request', async () => {
    const { base, blob } = await serve();
    const response = await fetch(`${base}/ota/targets/services/pilot/abc.service.js`, { headers: { range: 'bytes=10-' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 10-999/1000`);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(blob.subarray(10));
    expect(response.headers.get('cache-control')).toContain('immutable');
  });

  it('serves metadata uncached and answers 404 for what does not exist', async () => {
    const { base } = await serve();
    const timestamp = await fetch(`${base}/ota/metadata/timestamp.json`);
    expect(timestamp.status).toBe(200);
    expect(timestamp.headers.get('cache-control')).toBe('no-cache');
    expect((await fetch(`${base}/ota/metadata/2.root.json`)).status).toBe(404);
  });

  it('serves nothing outside the repository', async () => {
    const { base } = await serve();
    fs.writeFileSync(path.join(dir!, '..', `${path.basename(dir!)}-secret.pem`), 'private');
    try {
      for (const escape of ['..%2F..%2F', '%2e%2e/%2e%2e/', '..%5c..%5c']) {
        const status = await rawGetStatus(`${base}/ota/metadata/${escape}${path.basename(dir!)}-secret.pem`);
        expect(status, escape).toBeGreaterThanOrEqual(400);
      }
    } finally {
      fs.rmSync(path.join(dir!, '..', `${path.basename(dir!)}-secret.pem`));
    }
  });

  it('lists releases and rollouts as JSON', async () => {
    const { base, db } = await serve();
    db.recordRelease({ version: 1, label: 'first', createdAt: '2025-01-01T00:00:00.000Z', manifest: { version: 1 } });
    db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'installed' });
    const releases = (await (await fetch(`${base}/api/releases`)).json()) as { releases: { version: number; manifest?: unknown }[] };
    expect(releases.releases).toEqual([{ version: 1, label: 'first', createdAt: '2025-01-01T00:00:00.000Z', rollbackOf: null, override: null, withdrawn: null }]);
    expect(((await (await fetch(`${base}/api/releases/1`)).json()) as { manifest: unknown }).manifest).toEqual({ version: 1 });
    expect((await fetch(`${base}/api/releases/9`)).status).toBe(404);
    expect((await fetch(`${base}/api/releases/abc`)).status).toBe(400);
    expect((await fetch(`${base}/api/releases/0`)).status).toBe(400);
    expect((await fetch(`${base}/api/rollouts?limit=abc`)).status).toBe(400);
    expect(((await (await fetch(`${base}/api/rollouts?limit=1`)).json()) as { history: unknown[] }).history).toHaveLength(1);
    const rollouts = (await (await fetch(`${base}/api/rollouts?car=7`)).json()) as { cars: { version: number }[]; history: { outcome: string }[] };
    expect(rollouts.cars[0]?.version).toBe(1);
    expect(rollouts.history.map((e) => e.outcome)).toEqual(['installed']);
  });
});
