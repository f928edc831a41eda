/**
 * The update repository needs no server of ours: any static web server can host it, because every
 * file is signed or named by its hash and the car checks everything through TUF. Debian's nginx
 * (its own config in a temp dir, a free port, in the foreground) serves a copy of a published
 * repository whose release carries a real RAUC bundle; the car's update client (tuf-js) fetches and
 * verifies the release manifest and the OS bundle from it, and refuses a bundle changed on the host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TufRepository, checkOsBundle, createKeys, createOsKeys, osContent, osKeyFiles, publishRelease } from '../../deploy/index.ts';
import type { ReleaseManifest } from '../../protocol/index.ts';
import { freePort, waitFor } from '../support/net.ts';
import { RAUC_MISSING, corruptByte, makeTestBundle } from '../support/rauc-bundle.ts';
import { makeClient, pilotChanges } from '../support/tuf-repo.ts';

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
    const keys = createKeys(keysDir, { servedDir: repoDir });
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
});
