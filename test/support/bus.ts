/**
 * Test support: a NUC proxy on loopback TCP and a car-local proxy on ipc, as the platform runs them.
 * The NUC proxy is secured as `npm start` runs it (CURVE, an allow-list, sealed messages and
 * subscriptions) unless `security: false`; `as(identity)` pairs a client and hands back the bus as
 * that client reaches it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  carLocalEndpoints,
  ClientSecurity,
  DEFAULT_LIMITS,
  generateKeyPair,
  socketMessageLimit,
  startProxy,
  tcpEndpoint,
  type BusEndpoints,
  type ClientKeys,
  type Identity,
  type PairedClient,
  type ProxyOptions,
  type RunningProxy,
} from '../../protocol/index.ts';
import { freePort } from './net.ts';

export interface TestBus {
  /** the NUC bus as one of the NUC's services (`server`, which may read everything) reaches it */
  nuc: BusEndpoints;
  /** the car-local bus (ipc, no keys) */
  car: BusEndpoints;
  nucProxy: RunningProxy;
  carProxy: RunningProxy;
  /** the NUC's public key, for clients built from raw sockets */
  serverKey: string;
  /** pairs `identity` (once) and returns the NUC bus as it reaches it, with its keys */
  as(identity: Identity): Promise<BusEndpoints>;
  /** the raw keys of a paired identity (for a third-party-style client) */
  keysOf(name: string): ClientKeys;
  /** revokes a paired identity, as `npm run bus -- unpair` does */
  unpair(name: string): Promise<void>;
  restartNucProxy(): Promise<void>;
  close(): Promise<void>;
}

export interface TestBusOptions {
  /** default true: CURVE and the allow-list, as the platform runs by default */
  security?: boolean;
  /** default 1000 ms, as configured by default */
  releaseHintIntervalMs?: number;
}

export async function startTestBus(options: TestBusOptions = {}): Promise<TestBus> {
  const secure = options.security ?? true;
  const [pubPort, subPort] = [await freePort(), await freePort()];
  const endpoints = { publishers: tcpEndpoint('127.0.0.1', pubPort), subscribers: tcpEndpoint('127.0.0.1', subPort), limits: DEFAULT_LIMITS };
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-bus-'));
  const car = carLocalEndpoints(runDir);
  const serverKeys = generateKeyPair();
  const keys = new Map<string, { client: PairedClient; keys: ClientKeys }>();
  const clients = (): PairedClient[] => [...keys.values()].map((k) => k.client);
  const pairLocally = (identity: Identity): ClientKeys => {
    const existing = keys.get(identity.name);
    if (existing) return existing.keys;
    const pair = generateKeyPair();
    const clientKeys = { ...pair, serverKey: serverKeys.publicKey };
    keys.set(identity.name, { client: { ...identity, publicKey: pair.publicKey }, keys: clientKeys });
    return clientKeys;
  };
  const busAs = (clientKeys: ClientKeys): BusEndpoints => (secure ? { ...endpoints, security: new ClientSecurity(clientKeys) } : endpoints);
  const nucKeys = pairLocally({ name: 'server', role: 'nuc', service: 'server' });
  const nucOptions = (): ProxyOptions => ({
    publishersEndpoint: endpoints.publishers,
    subscribersEndpoint: endpoints.subscribers,
    maxMessageBytes: socketMessageLimit(DEFAULT_LIMITS),
    checks: { limits: DEFAULT_LIMITS, releaseHintIntervalMs: options.releaseHintIntervalMs ?? 1000 },
    ...(secure ? { security: { serverKeys, clients: clients() } } : {}),
  });
  const bus: TestBus = {
    nuc: busAs(nucKeys),
    car,
    nucProxy: await startProxy(nucOptions()),
    carProxy: await startProxy({ publishersEndpoint: car.publishers, subscribersEndpoint: car.subscribers, maxMessageBytes: socketMessageLimit(DEFAULT_LIMITS) }),
    serverKey: serverKeys.publicKey,
    async as(identity) {
      const known = keys.has(identity.name);
      const clientKeys = pairLocally(identity);
      if (!known && secure) await bus.nucProxy.setClients(clients());
      return busAs(clientKeys);
    },
    keysOf(name) {
      const found = keys.get(name);
      if (!found) throw new Error(`${name} is not paired on this test bus`);
      return found.keys;
    },
    async unpair(name) {
      keys.delete(name);
      if (secure) await bus.nucProxy.setClients(clients());
    },
    async restartNucProxy() {
      await bus.nucProxy.close();
      bus.nucProxy = await startProxy(nucOptions());
    },
    async close() {
      await Promise.all([bus.nucProxy.close(), bus.carProxy.close()]);
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
  return bus;
}
