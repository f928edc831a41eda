/** Where a run's processes meet: run directories (ipc sockets, pidfiles) under the data directory, the bus endpoints, the bus keys. */
import path from 'node:path';
import { carLocalEndpoints, tcpEndpoint, type BusEndpoints } from '../protocol/index.ts';
import { busLimits } from './bus-limits.ts';
import type { PlatformConfig } from './config-schema.ts';

export function carRunDir(config: PlatformConfig, carId: string): string {
  return path.join(config.dataDir, 'car', carId, 'run');
}

export function nucRunDir(config: PlatformConfig): string {
  return path.join(config.dataDir, 'nuc', 'run');
}

/** The NUC's bus keys: its key pair, the allow-list, the keys of its own services and simulated cars. */
export function busKeysDir(config: PlatformConfig): string {
  return config.bus.keysDir || path.join(config.dataDir, 'keys', 'bus');
}

/** The car-local bus: ipc sockets in the car's run directory, which only the car's user can open. */
export function carBus(config: PlatformConfig, carId: string): BusEndpoints {
  return { ...carLocalEndpoints(carRunDir(config, carId)), limits: busLimits(config) };
}

/** The NUC bus as clients reach it (without keys: the runner adds this process's, bus-security.ts). */
export function nucBus(config: PlatformConfig): BusEndpoints {
  return {
    publishers: tcpEndpoint(config.nuc.host, config.nuc.busPublishersPort),
    subscribers: tcpEndpoint(config.nuc.host, config.nuc.busSubscribersPort),
    limits: busLimits(config),
  };
}

/** The NUC bus as its proxy binds it. */
export function nucBusBind(config: PlatformConfig): BusEndpoints {
  return {
    publishers: tcpEndpoint(config.nuc.bindAddress, config.nuc.busPublishersPort),
    subscribers: tcpEndpoint(config.nuc.bindAddress, config.nuc.busSubscribersPort),
  };
}

