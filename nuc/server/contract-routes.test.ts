/** The published contracts as a script reads them: the bus's AsyncAPI, the routes' OpenAPI, and the per-key bus counts. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientActivityLog, HEADER_SCHEMAS } from '../../protocol/index.ts';
import { BusKeyStore } from '../pairing/index.ts';
import { buildNucServer, type NucServer } from './app.ts';
import { busMessage, FakeFeed, serverBasics, telemetry } from '../../test/support/server-feed.ts';

const TOKEN = 'contract-test-token';
let dir: string;
let nuc: NucServer;
let feed: FakeFeed;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-contract-'));
  feed = new FakeFeed();
  nuc = await buildNucServer({ ...serverBasics(TOKEN, feed), bus: { host: 'nuc.example', publishersPort: 7560, subscribersPort: 7559, keysDir: path.join(dir, 'keys') } });
});

afterEach(async () => {
  await nuc.app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, token?: string) => nuc.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the contract routes', () => {
  it('serve the bus contract with the servers clients reach', async () => {
    const reply = await get('/api/asyncapi.json');
    expect(reply.statusCode).toBe(200);
    const document = reply.json();
    expect(document.asyncapi).toBe('3.0.0');
    expect(document.servers.publishers.host).toBe('nuc.example:7560');
    expect(document.components.messages.control.payload.properties.angle).toMatchObject({ minimum: -1, maximum: 1 });
  });

  it('describe every route, with its response schema and whether it needs the token', async () => {
    const document = (await get('/api/openapi.json')).json();
    expect(document.openapi).toBe('3.1.0');
    const car = document.paths['/api/cars/{id}'].get;
    expect(car.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(car.responses['200'].content['application/json'].schema.properties.telemetry).toEqual(JSON.parse(JSON.stringify(HEADER_SCHEMAS.telemetry)));
    expect(car.responses['404'].content['application/json'].schema.required).toEqual(['statusCode', 'error', 'message']);
    expect(document.paths['/api/cars/{id}/actions'].post.security).toEqual([{ token: [] }]);
    expect(document.paths['/api/bus/clients'].get.security).toEqual([{ token: [] }]);
    expect(document.paths['/healthz'].get.security).toBeUndefined();
    expect(document.paths['/api/asyncapi.json']).toBeDefined();
  });

  it('send a car as its schema says, and nothing the schema does not name', async () => {
    feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry({ angle: 0.25 })));
    const reply = await get('/api/cars/1');
    expect(reply.statusCode).toBe(200);
    const car = reply.json();
    expect(car).toMatchObject({ id: '1', frames: 0, views: 0, telemetry: { angle: 0.25, mode: 'user', v: 1 } });
    expect(Object.keys(car).sort()).toEqual(['frames', 'id', 'lastSeen', 'lastSeenMsAgo', 'telemetry', 'views']);
    expect((await get('/api/cars/2')).json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'no car "2" has reported to this NUC' });
  });

  it('show each paired key with the proxy\'s counts, to the token only', async () => {
    const store = new BusKeyStore(path.join(dir, 'keys'));
    store.pair({ name: 'pat', role: 'driver', cars: ['1'] });
    expect((await get('/api/bus/clients')).statusCode).toBe(401);
    expect((await get('/api/bus/clients', TOKEN)).json()).toMatchObject({ countingSince: null, clients: [{ name: 'pat', role: 'driver', cars: ['1'], lastSeen: null, messages: { accepted: 0, refused: {} } }] });
    const activity = new ClientActivityLog();
    activity.seen('pat', 1_000);
    activity.accepted('pat');
    activity.refused('pat', 'version');
    activity.subscriptionRefused('pat', 'subscription-not-permitted');
    store.writeActivity(500, activity.snapshot(), 2_000);
    expect((await get('/api/bus/clients', TOKEN)).json()).toEqual({
      countingSince: new Date(500).toISOString(),
      updatedAt: new Date(2_000).toISOString(),
      clients: [
        {
          name: 'pat',
          role: 'driver',
          cars: ['1'],
          pairedAt: expect.any(String),
          lastSeen: new Date(1_000).toISOString(),
          messages: { accepted: 1, refused: { version: 1 } },
          subscriptions: { applied: 0, cancelled: 0, refused: { 'subscription-not-permitted': 1 } },
        },
      ],
    });
  });

  it('say why the counts cannot be read', async () => {
    const store = new BusKeyStore(path.join(dir, 'keys'));
    store.pair({ name: 'pat', role: 'viewer' });
    fs.writeFileSync(path.join(store.dir, 'activity.json'), '{"version": 1, "clients": {"pat": {"messages": {"accepted": -1}}}}');
    const reply = (await get('/api/bus/clients', TOKEN)).json();
    expect(reply.problem).toMatch(/activity\.json: /);
    expect(reply.clients[0]).toMatchObject({ name: 'pat', messages: { accepted: 0 } });
  });
});
