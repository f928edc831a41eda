/** Where a run's processes meet: run directories (ipc sockets, pidfiles) under the data directory, and the bus endpoints. */
import path from 'node:path';
import { carLocalEndpoints, tcpEndpoint, type BusEndpoints } from '../protocol/index.ts';
import type { PlatformConfig } from './config-schema.ts';

export function carRunDir(config: PlatformConfig, carId: string): string {
  return path.join(config.dataDir, 'car', carId, 'run');
}

export function nucRunDir(config: PlatformConfig): string {
  return path.join(config.dataDir, 'nuc', 'run');
}

export function carBus(config: PlatformConfig, carId: string): BusEndpoints {
  return carLocalEndpoints(carRunDir(config, carId));
}

/** The NUC bus as clients reach it. */
export function nucBus(config: PlatformConfig): BusEndpoints {
  return {
    publishers: tcpEndpoint(config.nuc.host, config.nuc.busPublishersPort),
    subscribers: tcpEndpoint(config.nuc.host, config.nuc.busSubscribersPort),
  };
}

/** The NUC bus as its proxy binds it. */
export function nucBusBind(config: PlatformConfig): BusEndpoints {
  return {
    publishers: tcpEndpoint(config.nuc.bindAddress, config.nuc.busPublishersPort),
    subscribers: tcpEndpoint(config.nuc.bindAddress, config.nuc.busSubscribersPort),
  };
}
