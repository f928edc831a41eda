/**
 * The update repository needs no server of ours: any static web server can host it, because every
 * file is signed or named by its hash and the car checks everything through TUF. Debian's nginx
 * (its own config in a temp dir, a free port, in the foreground) serves a copy of a published
 * repository whose release carries a real RAUC bundle; the car's update client (tuf-js) fetches and
 * verifies the release manifest and the OS bundle from it, and refuses a bundle changed on the host.
 * A chunked OS bundle's chunks are static files too (`ota/chunks/`): the car's casync rebuilds the
 * slot from nginx's copy of the pool, and refuses a chunk changed on the host.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TufRepository, checkOsBundle, chunkPath, createKeys, createOsKeys, osContent, osKeyFiles, publishRelease, type KeySet, type PooledChunks } from '../../deploy/index.ts';
import type { ReleaseManifest } from '../../protocol/index.ts';
import { freePort, waitFor } from '../support/net.ts';
import { CASYNC_MISSING, CHUNKABLE_NOISE_BYTES, RAUC_MISSING, chunkTestBundle, corruptByte, makeTestBundle } from '../support/rauc-bundle.ts';
import { makeClient, pilotChanges } from '../support/tuf-repo.ts';

const run = promisify(execFile);
const NGINX = '/usr/sbin/nginx';
const SKIP = !fs.existsSync(NGINX) ? `${NGINX} is not installed (Debian: apt-get install nginx-light; .ci/run installs it)` : RAUC_MISSING;

interface StaticHost {
  baseUrl: string;
  /** the served copy of the repository (what the host's operator, or an attacker on it, can change) */
  servedDir: string;
  accessLog(): string;
  stop(): Promise<void>;
}

/** nginx in the foreground serving `<root>/ota/` with its config, pid, logs and temp files under `dir`. */
async function startNginx(dir: string, root: string): Promise<StaticHost> {
  const port = await freePort();
  const at = (name: string): string => path.join(dir, name);
  fs.mkdirSync(at('temp'), { recursive: true });
  const config = at('nginx.conf');
  fs.writeFileSync(
    config,
    [
      'worker_processes 1;',
      `pid ${at('nginx.pid')};`,
      `error_log ${at('error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${at('access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${at(`temp/${kind}`)};`),
      '  types { application/json json; }',
      '  default_type application/octet-stream;',
      '  sendfile on;',
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${root};`,
      '    location /ota/ { autoindex off; }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const nginx: ChildProcess = spawn(NGINX, ['-p', dir, '-c', config, '-e', at('error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  nginx.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  nginx.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => nginx.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}: ${output}${fs.existsSync(at('error.log')) ? fs.readFileSync(at('error.log'), 'utf8') : ''}`);
        return fetch(`${baseUrl}/ota/metadata/root.json`).then((r) => r.ok, () => false);
      },
      'nginx serving the repository',
      10_000,
      50,
    );
  } catch (error) {
    nginx.kill('SIGKILL');
    throw error;
  }
  return {
    baseUrl,
    servedDir: path.join(root, 'ota'),
    accessLog: () => fs.readFileSync(at('access.log'), 'utf8'),
    async stop() {
      // SIGQUIT: nginx's graceful shutdown (the master stops its worker)
      if (nginx.exitCode === null) nginx.kill('SIGQUIT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    },
  };
}

describe.skipIf(SKIP)(`a static web server (nginx) hosting the update repository${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let dir: string;
  let repo: TufRepository;
  let keys: KeySet;
  let keysDir: string;
  let published: ReleaseManifest;
  let bundleBytes: Buffer;
  let host: StaticHost;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-static-'));
    // nginx's worker runs as nobody when started as root: it must be able to read what it serves
    fs.chmodSync(dir, 0o755);
    const repoDir = path.join(dir, 'data', 'ota', 'repository');
    keysDir = path.join(dir, 'data', 'keys');
    keys = createKeys(keysDir, { servedDir: repoDir });
    repo = TufRepository.initialize(repoDir, keys);
    await createOsKeys(keysDir);
    publishRelease(repo, keys, pilotChanges('export default 1;\n'));
    const bundle = await makeTestBundle(dir, 'car-0.2.0-qemu-x86_64.raucb', { keysDir, version: '0.2.0' });
    bundleBytes = fs.readFileSync(bundle);
    published = publishRelease(repo, keys, { label: 'os 0.2.0', os: osContent(bundle, await checkOsBundle(bundle, { keyring: osKeyFiles(keysDir).caCert })) });
    // what an operator uploads to the static host: the repository as published, nothing else
    fs.cpSync(repoDir, path.join(dir, 'www', 'ota'), { recursive: true });
    host = await startNginx(path.join(dir, 'nginx'), path.join(dir, 'www'));
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the car's update client fetches and verifies the release and the OS bundle from it", async () => {
    const carDir = path.join(dir, 'car-1');
    const client = makeClient(repo, host.baseUrl, carDir, '1');
    const manifest = await client.latestRelease();
    expect(manifest).toEqual(published);
    expect(manifest.os).toMatchObject({ version: '0.2.0', compatible: 'edge-car-qemu-x86_64', bundle: { path: 'os.raucb', target: 'os/car-0.2.0-qemu-x86_64.raucb', length: bundleBytes.length } });
    const destination = path.join(carDir, 'os', manifest.os!.bundle.path);
    await client.downloadFile(manifest.os!.bundle, destination);
    expect(fs.readFileSync(destination)).toEqual(bundleBytes);
    // what the car's RAUC gets is the bundle the offline CA signed, intact
    expect((await checkOsBundle(destination, { keyring: osKeyFiles(keysDir).caCert })).version).toBe('0.2.0');
    await client.downloadFile(manifest.services.pilot!.files[0]!, path.join(carDir, 'pilot', 'service.js'));
    expect(fs.readFileSync(path.join(carDir, 'pilot', 'service.js'), 'utf8')).toBe('export default 1;\n');
    // nginx served all of it: metadata by version, targets by their content hash
    const log = host.accessLog();
    expect(log).toMatch(/"GET \/ota\/metadata\/2\.root\.json HTTP\/1\.1" 404/);
    expect(log).toMatch(/"GET \/ota\/metadata\/timestamp\.json HTTP\/1\.1" 200/);
    expect(log).toContain(`"GET /ota/targets/os/${manifest.os!.bundle.sha256}.car-0.2.0-qemu-x86_64.raucb HTTP/1.1" 200 ${bundleBytes.length}`);
  });

  it('refuses an OS bundle changed on the static host: a changed byte (hash), a longer file (length)', async () => {
    const blob = path.join(host.servedDir, 'targets', 'os', `${published.os!.bundle.sha256}.car-0.2.0-qemu-x86_64.raucb`);
    const original = fs.readFileSync(blob);
    try {
      corruptByte(blob, 4096);
      const client = makeClient(repo, host.baseUrl, path.join(dir, 'car-2'), '2');
      const manifest = await client.latestRelease();
      const destination = path.join(dir, 'car-2', 'os', 'os.raucb');
      await expect(client.downloadFile(manifest.os!.bundle, destination)).rejects.toMatchObject({ name: 'UpdateRefusedError', reason: 'mismatch' });
      expect(fs.existsSync(destination)).toBe(false);

      fs.writeFileSync(blob, Buffer.concat([original, Buffer.alloc(4096, 0x41)]));
      await expect(client.downloadFile(manifest.os!.bundle, destination)).rejects.toMatchObject({ name: 'UpdateRefusedError', reason: 'too-large' });
      expect(fs.readdirSync(path.join(dir, 'car-2', 'os'))).toEqual([]);
    } finally {
      fs.writeFileSync(blob, original);
    }
  });

  it.skipIf(CASYNC_MISSING)("serves a chunked OS's chunks: the car's casync rebuilds the signed slot from them, and refuses a chunk changed on the host", async () => {
    const whole = await makeTestBundle(dir, 'car-0.3.0-qemu-x86_64.raucb', { keysDir, version: '0.3.0', noiseBytes: CHUNKABLE_NOISE_BYTES });
    const chunked = await chunkTestBundle(whole, keysDir);
    const pooled: PooledChunks[] = [];
    const release = publishRelease(repo, keys, { label: 'os 0.3.0 chunked', os: osContent(chunked.file, await checkOsBundle(chunked.file, { keyring: osKeyFiles(keysDir).caCert })) }, { onChunks: (p) => pooled.push(p) });
    expect(pooled).toEqual([{ added: chunked.chunks, addedBytes: chunked.storeBytes, present: 0, presentBytes: 0 }]);
    // the operator uploads the repository again: the chunk pool is part of it
    fs.cpSync(repo.dir, host.servedDir, { recursive: true });

    // the car: the small bundle through TUF, then RAUC's casync against the pool (here straight from nginx; on a car through its agent)
    const carDir = path.join(dir, 'car-3');
    const client = makeClient(repo, host.baseUrl, carDir, '3');
    const manifest = await client.latestRelease();
    expect(manifest.os).toEqual(release.os);
    const bundle = path.join(carDir, 'os', 'os.raucb');
    await client.downloadFile(manifest.os!.bundle, bundle);
    const conf = path.join(dir, 'car-3.conf');
    fs.writeFileSync(conf, `[system]\ncompatible=edge-car-qemu-x86_64\nbootloader=noop\n\n[keyring]\npath=${osKeyFiles(keysDir).caCert}\ncheck-purpose=codesign\n`);
    const info = JSON.parse((await run('rauc', ['--conf', conf, 'info', '--output-format=json', bundle])).stdout) as { images: Array<Record<string, { filename: string; checksum: string }>> };
    const { filename, checksum } = info.images[0]!.rootfs!;
    expect(filename).toBe('rootfs.ext4.caibx');
    await run('rauc', ['--conf', conf, 'extract', bundle, path.join(carDir, 'content')]);
    const index = path.join(carDir, 'content', filename);
    const slot = path.join(carDir, 'slot.ext4');
    await run('casync', ['extract', `--store=${host.baseUrl}/ota/chunks/`, index, slot], { timeout: 30_000 });
    // the slot the offline CA signed (RAUC's manifest names its sha256), byte for byte
    expect(crypto.createHash('sha256').update(fs.readFileSync(slot)).digest('hex')).toBe(checksum);
    const chunkRequests = host.accessLog().match(/"GET \/ota\/chunks\/[0-9a-f]{4}\/[0-9a-f]{64}\.cacnk HTTP\/1\.1" 200/g) ?? [];
    expect(chunkRequests.length).toBe(chunked.chunks);

    // a chunk changed on the host: casync checks it against the signed index and stops
    const ids = (fs.readdirSync(chunked.store, { recursive: true }) as string[]).filter((f) => f.endsWith('.cacnk'));
    const served = path.join(host.servedDir, 'chunks', ids[0]!);
    expect(ids[0]).toBe(chunkPath(path.basename(ids[0]!, '.cacnk')));
    corruptByte(served);
    await expect(run('casync', ['extract', `--store=${host.baseUrl}/ota/chunks/`, index, `${slot}-2`], { timeout: 30_000 })).rejects.toThrow();
  }, 60_000);
});
