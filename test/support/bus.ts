/** Test support: a NUC proxy on loopback TCP and a car-local proxy on ipc, as the platform runs them. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { carLocalEndpoints, startProxy, tcpEndpoint, type BusEndpoints, type RunningProxy } from '../../protocol/index.ts';
import { freePort } from './net.ts';

export interface TestBus {
  nuc: BusEndpoints;
  car: BusEndpoints;
  nucProxy: RunningProxy;
  carProxy: RunningProxy;
  restartNucProxy(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBus(): Promise<TestBus> {
  const [pubPort, subPort] = [await freePort(), await freePort()];
  const nuc = { publishers: tcpEndpoint('127.0.0.1', pubPort), subscribers: tcpEndpoint('127.0.0.1', subPort) };
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-bus-'));
  const car = carLocalEndpoints(runDir);
  const nucOptions = { publishersEndpoint: nuc.publishers, subscribersEndpoint: nuc.subscribers };
  const bus: TestBus = {
    nuc,
    car,
    nucProxy: await startProxy(nucOptions),
    carProxy: await startProxy({ publishersEndpoint: car.publishers, subscribersEndpoint: car.subscribers }),
    async restartNucProxy() {
      await bus.nucProxy.close();
      bus.nucProxy = await startProxy(nucOptions);
    },
    async close() {
      await Promise.all([bus.nucProxy.close(), bus.carProxy.close()]);
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
  return bus;
}
