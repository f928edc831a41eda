/**
 * The NUC's chunk pool over HTTP (`/ota/chunks/<4 hex>/<64 hex>.cacnk`), on the real NUC server
 * (buildNucServer: its security headers and token guard included): a chunk is served as stored and
 * cached for good, a missing one is a 404, nothing is listed, no dot file (a chunk being written) and
 * nothing outside the pool is served; and the real casync, as a car runs it, rebuilds a blob from an
 * index through it.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkPath, parseCasyncIndex, poolChunks, uniqueChunkIds } from '../../deploy/index.ts';
import { CASYNC_TOOL_MISSING } from '../../test/support/rauc-bundle.ts';
import { silentLog } from '../../test/support/server-feed.ts';
import { buildNucServer, type NucServer } from '../server/app.ts';
import { FleetState } from '../server/fleet-state.ts';
import { OtaDb } from './ota-db.ts';

// casync fetches from the server in this process: never run it synchronously
const run = promisify(execFile);
let nuc: NucServer | undefined;
let db: OtaDb | undefined;
let dir: string | undefined;

afterEach(async () => {
  await nuc?.app.close();
  db?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  nuc = undefined;
  db = undefined;
  dir = undefined;
});


/** The NUC serving a repository whose pool holds `chunks` (id → bytes). */
async function serve(chunks: Record<string, Buffer> = {}): Promise<{ base: string; repositoryDir: string }> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-chunks-'));
  const repositoryDir = path.join(dir, 'repository');
  for (const [id, bytes] of Object.entries(chunks)) {
    fs.mkdirSync(path.join(repositoryDir, 'chunks', id.slice(0, 4)), { recursive: true });
    fs.writeFileSync(path.join(repositoryDir, 'chunks', chunkPath(id)), bytes);
  }
  db = OtaDb.open(':memory:');
  nuc = await buildNucServer({ fleet: new FleetState(), log: silentLog, metricsIntervalMs: 1000, busConnected: () => true, token: 'chunks-test-token', repository: { repositoryDir, db } });
  await nuc.app.listen({ port: 0, host: '127.0.0.1' });
  const address = nuc.app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { base: `http://127.0.0.1:${address.port}`, repositoryDir };
}

/** A GET whose path is sent as written (fetch would normalise the dot segments away). */
function rawGet(base: string, pathName: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: pathName }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe("the NUC's chunk pool at /ota/chunks/", () => {
  it('serves a chunk as stored, cached for good, without the token; a missing chunk is a 404', async () => {
    const bytes = crypto.randomBytes(5000);
    const id = crypto.createHash('sha512-256').update(bytes).digest('hex');
    const { base } = await serve({ [id]: bytes });
    const response = await fetch(`${base}/ota/chunks/${chunkPath(id)}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const missing = 'ffff'.padEnd(64, '0');
    expect((await fetch(`${base}/ota/chunks/${chunkPath(missing)}`)).status).toBe(404);
    expect((await fetch(`${base}/ota/chunks/${id.slice(0, 4)}/${missing}.cacnk`)).status).toBe(404);
  });

  it('lists nothing, serves no dot file (a chunk being written) and nothing outside the pool', async () => {
    const bytes = Buffer.from('a chunk');
    const id = crypto.createHash('sha512-256').update(bytes).digest('hex');
    const { base, repositoryDir } = await serve({ [id]: bytes });
    for (const listing of ['/ota/chunks/', `/ota/chunks/${id.slice(0, 4)}/`]) {
      const answer = await rawGet(base, listing);
      expect(answer.status, listing).toBeGreaterThanOrEqual(400);
      expect(answer.body, listing).not.toContain(id.slice(0, 4));
    }
    // (without the slash it is the dashboard's page, as /ota/targets is)
    expect((await rawGet(base, '/ota/chunks')).body).not.toContain(id.slice(0, 4));
    fs.writeFileSync(path.join(repositoryDir, 'chunks', id.slice(0, 4), `.${id}.1234.tmp`), 'half a chunk');
    expect((await rawGet(base, `/ota/chunks/${id.slice(0, 4)}/.${id}.1234.tmp`)).status).toBeGreaterThanOrEqual(400);
    // beside the pool: the repository's other folders, and what is beside the repository
    fs.writeFileSync(path.join(repositoryDir, 'secret.pem'), 'private');
    fs.writeFileSync(path.join(dir!, 'secret.pem'), 'private');
    for (const escape of ['../secret.pem', '../../secret.pem', '..%2Fsecret.pem', '..%2F..%2Fsecret.pem', '%2e%2e/%2e%2e/secret.pem', '%2e%2e%2fsecret.pem', '..%5c..%5csecret.pem', `${id.slice(0, 4)}/../../secret.pem`]) {
      const answer = await rawGet(base, `/ota/chunks/${escape}`);
      expect(answer.status, escape).toBeGreaterThanOrEqual(400);
      expect(answer.body, escape).not.toContain('private');
    }
  });

  it.skipIf(CASYNC_TOOL_MISSING !== undefined)("is a store casync extracts from, as the car's RAUC runs it", async () => {
    const { base, repositoryDir } = await serve();
    const blob = crypto.randomBytes(1024 * 1024);
    const store = path.join(dir!, 'made.castr');
    const index = path.join(dir!, 'blob.caibx');
    fs.writeFileSync(path.join(dir!, 'blob'), blob);
    await run('casync', ['make', `--store=${store}`, index, path.join(dir!, 'blob')]);
    const ids = uniqueChunkIds(parseCasyncIndex(fs.readFileSync(index)));
    expect(poolChunks(path.join(repositoryDir, 'chunks'), store, ids)).toMatchObject({ added: ids.length, present: 0 });
    const out = path.join(dir!, 'extracted');
    await run('casync', ['extract', `--store=${base}/ota/chunks/`, index, out], { timeout: 20_000 });
    expect(fs.readFileSync(out).equals(blob)).toBe(true);
    // a chunk the pool lacks fails the extraction
    fs.rmSync(path.join(repositoryDir, 'chunks', chunkPath(ids[0]!)));
    await expect(run('casync', ['extract', `--store=${base}/ota/chunks/`, index, `${out}-2`], { timeout: 20_000 })).rejects.toThrow();
  });
});
