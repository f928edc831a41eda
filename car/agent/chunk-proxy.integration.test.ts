/**
 * The agent's loopback chunk store under the real casync: a blob changed in one place is rebuilt
 * from a seed (its old version) plus the few chunks the NUC serves through the proxy.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkProxy, chunkIdOf } from './chunk-proxy.ts';

const run = promisify(execFile);
const log = pino({ level: 'silent' });

/** A static file server over a directory, as the NUC serves /ota/chunks/; counts what it served. */
async function serveDir(root: string, tamper?: (file: string, body: Buffer) => Buffer): Promise<{ url: string; served: string[]; close: () => Promise<void> }> {
  const served: string[] = [];
  const server = http.createServer((request, response) => {
    const file = path.join(root, decodeURIComponent((request.url ?? '/').slice('/ota/chunks/'.length)));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    served.push(path.basename(file));
    const body = fs.readFileSync(file);
    response.writeHead(200).end(tamper ? tamper(file, body) : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ota/chunks/`,
    served,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('chunk store proxy', () => {
  let dir: string;
  let proxy: ChunkProxy | undefined;
  let nuc: Awaited<ReturnType<typeof serveDir>> | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chunk-proxy-'));
  });
  afterEach(async () => {
    await proxy?.close();
    await nuc?.close();
    proxy = undefined;
    nuc = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** old: 8 MiB of noise (the running slot); new: the same with 4 KiB changed in the middle */
  async function slots(): Promise<{ seed: string; index: string; expected: Buffer; store: string }> {
    const old = randomBytes(8 * 1024 * 1024);
    const next = Buffer.from(old);
    randomBytes(4096).copy(next, 4 * 1024 * 1024);
    const seed = path.join(dir, 'slot-a.img');
    const image = path.join(dir, 'rootfs.img');
    fs.writeFileSync(seed, old);
    fs.writeFileSync(image, next);
    const store = path.join(dir, 'pool');
    const index = path.join(dir, 'rootfs.img.caibx');
    await run('casync', ['make', `--store=${store}`, index, image]);
    return { seed, index, expected: next, store };
  }

  it('passes casync only the chunks its seed lacks, and counts their bytes', async () => {
    const { seed, index, expected, store } = await slots();
    nuc = await serveDir(store);
    proxy = await ChunkProxy.start({ upstream: nuc.url, port: 0, log });
    const out = path.join(dir, 'slot-b.img');
    await run('casync', ['extract', `--store=http://127.0.0.1:${proxy.port}/`, `--seed=${seed}`, index, out]);

    expect(fs.readFileSync(out).equals(expected)).toBe(true);
    const total = fs.readdirSync(store, { recursive: true }).filter((f) => String(f).endsWith('.cacnk')).length;
    expect(total).toBeGreaterThan(50);
    // one 4 KiB change touches one or two chunks of ~64 KiB
    expect(proxy.chunks).toBeGreaterThanOrEqual(1);
    expect(proxy.chunks).toBeLessThanOrEqual(3);
    expect(nuc.served).toHaveLength(proxy.chunks);
    expect(proxy.bytes).toBeGreaterThan(0);
    expect(proxy.bytes).toBeLessThan(3 * 300 * 1024);
    expect(proxy.refused).toBe(0);
  });

  it('a chunk the NUC changed is refused by casync (checked against the index), and a missing one is counted as refused', async () => {
    const { seed, index, store } = await slots();
    nuc = await serveDir(store, (_file, body) => {
      const copy = Buffer.from(body);
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    });
    proxy = await ChunkProxy.start({ upstream: nuc.url, port: 0, log });
    const out = path.join(dir, 'slot-b.img');
    await expect(run('casync', ['extract', `--store=http://127.0.0.1:${proxy.port}/`, `--seed=${seed}`, index, out])).rejects.toThrow();
    await proxy.close();
    await nuc.close();

    fs.rmSync(store, { recursive: true });
    fs.mkdirSync(store);
    nuc = await serveDir(store);
    proxy = await ChunkProxy.start({ upstream: nuc.url, port: 0, log });
    await expect(run('casync', ['extract', `--store=http://127.0.0.1:${proxy.port}/`, `--seed=${seed}`, index, out])).rejects.toThrow();
    expect(proxy.refused).toBeGreaterThanOrEqual(1);
    expect(proxy.chunks).toBe(0);
  });

  it('answers nothing but chunk paths, and bounds a chunk from the NUC', async () => {
    const store = path.join(dir, 'pool');
    const id = 'ab'.repeat(32);
    fs.mkdirSync(path.join(store, 'abab'), { recursive: true });
    fs.writeFileSync(path.join(store, 'abab', `${id}.cacnk`), Buffer.alloc(4096, 1));
    nuc = await serveDir(store);
    proxy = await ChunkProxy.start({ upstream: nuc.url, port: 0, log, maxChunkBytes: 1024 });
    const base = `http://127.0.0.1:${proxy.port}`;
    expect((await fetch(`${base}/abab/${id}.cacnk`)).status).toBe(502); // larger than the bound
    expect((await fetch(`${base}/../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}/abab/${id}.cacnk`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/cdcd/${id}.cacnk`)).status).toBe(404); // prefix not the id's
    expect(proxy.chunks).toBe(0);
    expect(proxy.refused).toBe(4);
    expect(nuc.served).toEqual([`${id}.cacnk`]);
  });

  it('says which port is taken', async () => {
    nuc = await serveDir(dir);
    proxy = await ChunkProxy.start({ upstream: nuc.url, port: 0, log });
    await expect(ChunkProxy.start({ upstream: nuc.url, port: proxy.port, log })).rejects.toThrow(`127.0.0.1:${proxy.port} is taken`);
  });
});

describe('chunkIdOf', () => {
  const id = '0123456789abcdef'.repeat(4);
  it('takes exactly casync store paths', () => {
    expect(chunkIdOf(`/0123/${id}.cacnk`)).toBe(id);
    expect(chunkIdOf(`/0124/${id}.cacnk`)).toBeUndefined();
    expect(chunkIdOf(`/0123/${id.toUpperCase()}.cacnk`)).toBeUndefined();
    expect(chunkIdOf(`/0123/${id}.cacnk/..`)).toBeUndefined();
    expect(chunkIdOf(`/0123/${id.slice(1)}.cacnk`)).toBeUndefined();
  });
});
