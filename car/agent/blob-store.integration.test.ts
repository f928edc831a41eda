import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobError, BlobStore } from './blob-store.ts';
import type { ReleaseFile } from './release.ts';

const CONTENT = Buffer.from('x'.repeat(50_000) + 'the end');
const SHA = createHash('sha256').update(CONTENT).digest('hex');
const FILE: ReleaseFile = { path: 'service.js', target: 'services/pilot/service.js', sha256: SHA, length: CONTENT.length };

interface Served {
  url: string;
  ranges: string[];
  close(): Promise<void>;
}

/** Serves `body` (honouring Range unless told not to), or endless bytes. */
async function serve(body: Buffer | 'endless'): Promise<Served> {
  const ranges: string[] = [];
  const server = http.createServer((request, response) => {
    const range = request.headers.range;
    if (range) ranges.push(range);
    if (body === 'endless') {
      response.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      return pump();
    }
    const start = range ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
    if (range) response.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    else response.writeHead(200);
    response.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/blob`,
    ranges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('BlobStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resumes a partial download with a Range request and keeps only the verified blob', async () => {
    const server = await serve(CONTENT);
    try {
      fs.writeFileSync(path.join(dir, `${SHA}.part`), CONTENT.subarray(0, 20_000));
      const store = new BlobStore({ dir, urlOf: () => server.url });
      const progress: number[] = [];
      await store.download([FILE], (bytes) => progress.push(bytes));
      expect(server.ranges).toEqual(['bytes=20000-']);
      expect(fs.readFileSync(path.join(dir, SHA))).toEqual(CONTENT);
      expect(fs.existsSync(path.join(dir, `${SHA}.part`))).toBe(false);
      expect(progress.at(-1)).toBe(CONTENT.length);
      expect(await store.present()).toEqual(new Set([SHA]));
    } finally {
      await server.close();
    }
  });

  it('refuses a tampered blob and keeps nothing of it', async () => {
    const tampered = Buffer.from(CONTENT);
    tampered[10] = 0x79;
    const server = await serve(tampered);
    try {
      const store = new BlobStore({ dir, urlOf: () => server.url });
      await expect(store.download([FILE])).rejects.toThrow(/does not match the signed/);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('stops an endless stream at the signed length', async () => {
    const server = await serve('endless');
    try {
      const store = new BlobStore({ dir, urlOf: () => server.url });
      await expect(store.download([FILE])).rejects.toThrow(BlobError);
      await expect(store.download([FILE])).rejects.toThrow(/more than the signed/);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('abandons a request that goes silent mid-file and resumes where it stopped, fetching each byte once', async () => {
    // the first answer stops after 30000 bytes without closing (a partition: no FIN); later ones serve the rest
    const ranges: string[] = [];
    const server = http.createServer((request, response) => {
      const range = request.headers.range;
      ranges.push(range ?? 'none');
      if (!range) {
        response.writeHead(200, { 'content-length': CONTENT.length });
        response.write(CONTENT.subarray(0, 30_000));
        return; // and never another byte
      }
      const start = Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0);
      response.writeHead(206, { 'content-range': `bytes ${start}-${CONTENT.length - 1}/${CONTENT.length}` });
      response.end(CONTENT.subarray(start));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const store = new BlobStore({ dir, urlOf: () => `http://127.0.0.1:${port}/blob`, stallMs: 300, retryMs: 20 });
      await store.download([FILE]);
      expect(fs.readFileSync(path.join(dir, SHA))).toEqual(CONTENT);
      expect(ranges).toEqual(['none', 'bytes=30000-']);
      expect(store.bytesFetched).toBe(CONTENT.length);
      expect(store.resumes).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a repository silent for giveUpMs, keeping what it has for later', async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-length': CONTENT.length });
      response.write(CONTENT.subarray(0, 1000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const store = new BlobStore({ dir, urlOf: () => `http://127.0.0.1:${port}/blob`, stallMs: 100, retryMs: 20, giveUpMs: 400 });
      await expect(store.download([FILE])).rejects.toThrow(/no byte for 400 ms/);
      expect(fs.statSync(path.join(dir, `${SHA}.part`)).size).toBeGreaterThanOrEqual(1000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a repository that answers 416 for the whole file instead of asking again forever', async () => {
    let requests = 0;
    const server = http.createServer((_request, response) => {
      requests++;
      response.writeHead(416);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const store = new BlobStore({ dir, urlOf: () => `http://127.0.0.1:${port}/blob`, retryMs: 20 });
      await expect(store.download([FILE])).rejects.toThrow(/HTTP 416 for the whole file/);
      expect(requests).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('deletes every blob and partial file not kept', async () => {
    const other = 'a'.repeat(64);
    fs.writeFileSync(path.join(dir, SHA), CONTENT);
    fs.writeFileSync(path.join(dir, other), 'x');
    fs.writeFileSync(path.join(dir, `${'b'.repeat(64)}.part`), 'x');
    const store = new BlobStore({ dir, urlOf: () => 'http://127.0.0.1:1/' });
    await store.deleteExcept(new Set([SHA]));
    expect(fs.readdirSync(dir)).toEqual([SHA]);
    expect(await store.freeBytes()).toBeGreaterThan(0);
  });
});
