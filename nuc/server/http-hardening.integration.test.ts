/**
 * The server as an attacker on the network or a hostile web page meets it: security headers and the
 * dashboard's CSP, socket.io only from the dashboard's own origin, token guessing locked out on the
 * sockets too, slow senders cut off, and HTTPS with a certificate made for the test.
 */
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { busMessage, FakeFeed, silentLog, telemetry } from '../../test/support/server-feed.ts';
import { makeSelfSignedCert } from '../../test/support/tls.ts';
import { buildNucServer, type NucServer, type ServerOptions } from './app.ts';
import { FleetState } from './fleet-state.ts';

const TOKEN = 'hardening-test-token';
let nuc: NucServer | undefined;
let dir: string | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  await nuc?.app.close();
  nuc = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function serve(extra: Partial<ServerOptions> = {}): Promise<{ url: string; port: number; feed: FakeFeed }> {
  const feed = new FakeFeed();
  nuc = await buildNucServer({ fleet: new FleetState(), log: silentLog, metricsIntervalMs: 1000, busConnected: () => true, token: TOKEN, feed, ...extra });
  await nuc.app.listen({ port: 0, host: '127.0.0.1' });
  const address = nuc.app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { url: `${extra.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`, port: address.port, feed };
}

function socket(url: string, namespace: string, options: { origin?: string; token?: string } = {}): Socket {
  const s = connect(`${url}${namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    // a handshake of its own each time (socket.io would multiplex on an open connection)
    forceNew: true,
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
    ...(options.token ? { auth: { token: options.token } } : {}),
  });
  sockets.push(s);
  return s;
}

const connected = (s: Socket) =>
  new Promise<'connected' | string>((resolve) => {
    s.once('connect', () => resolve('connected'));
    s.once('connect_error', (error) => resolve(error.message));
  });

describe('HTTP hardening', () => {
  it('answers with security headers and the dashboard CSP, without upgrade-insecure-requests on plain HTTP', async () => {
    const { url } = await serve();
    const response = await fetch(`${url}/api/cars`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('lets socket.io in from the dashboard\'s own origin (or a script with none) and refuses another site\'s page', async () => {
    const { url, port } = await serve();
    expect(await connected(socket(url, '/fleet', { origin: 'http://evil.example' }))).not.toBe('connected');
    expect(await connected(socket(url, '/fleet', { origin: `http://127.0.0.1:${port + 1}` }))).not.toBe('connected');
    expect(await connected(socket(url, '/fleet', { origin: `http://127.0.0.1:${port}` }))).toBe('connected');
    expect(await connected(socket(url, '/fleet'))).toBe('connected');
  });

  it('locks out a client guessing tokens on the driver socket: then even the right token cannot drive', async () => {
    const { url } = await serve();
    const hello = async (token: string) => {
      const s = socket(url, '/driver', { token });
      const answer = await new Promise<{ canDrive: boolean }>((resolve) => s.once('hello', resolve));
      s.disconnect();
      return answer.canDrive;
    };
    expect(await hello(TOKEN)).toBe(true);
    for (let i = 0; i < 11; i++) expect(await hello(`guess-${i}-xxxxxxxxxx`)).toBe(false);
    expect(await hello(TOKEN)).toBe(false);
    const http = await fetch(`${url}/api/cars/1/actions`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(http.status).toBe(429);
  });

  it('cuts off a sender whose request headers do not arrive in time', async () => {
    const { port } = await serve({ timeouts: { headersMs: 300, requestMs: 600 } });
    const client = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => client.once('connect', resolve));
    client.write('GET /api/cars HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and never the blank line
    let answer = '';
    client.on('data', (chunk) => (answer += chunk.toString()));
    await new Promise((resolve) => client.once('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('serves HTTPS with the configured certificate (made for this test), the API and /ota alike', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-tls-'));
    const cert = makeSelfSignedCert(dir);
    const repositoryDir = path.join(dir, 'repository');
    fs.mkdirSync(path.join(repositoryDir, 'metadata'), { recursive: true });
    fs.writeFileSync(path.join(repositoryDir, 'metadata', 'timestamp.json'), '{"signed":{"version":3}}');
    const { OtaDb } = await import('../ota/index.ts');
    const db = OtaDb.open(':memory:');
    const { url, port, feed } = await serve({ tls: { cert: cert.cert, key: cert.key }, repository: { repositoryDir, db } });
    feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry()));
    const get = (pathName: string) =>
      new Promise<{ status: number; body: string; hsts: string | undefined }>((resolve, reject) => {
        https
          .get(`${url}${pathName}`, { ca: cert.cert }, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body, hsts: response.headers['strict-transport-security'] as string | undefined }));
          })
          .on('error', reject);
      });
    const cars = await get('/api/cars');
    expect(cars.status).toBe(200);
    expect(JSON.parse(cars.body)).toMatchObject([{ id: '1' }]);
    expect(cars.hsts).toMatch(/max-age=\d+/);
    expect(await get('/ota/metadata/timestamp.json')).toMatchObject({ status: 200, body: '{"signed":{"version":3}}' });
    // plain HTTP on the same port is not served
    await expect(fetch(`http://127.0.0.1:${port}/api/cars`)).rejects.toThrow();
    // an untrusted certificate is refused by a client that does not know it
    await expect(fetch(`${url}/api/cars`)).rejects.toThrow();
    db.close();
  });
});
