/** Where the two proxies listen. Publishers always connect to XSUB, subscribers to XPUB. */
import path from 'node:path';
import type { DecodeLimits } from './codec.ts';
import type { ClientSecurity } from './security/index.ts';

export const DEFAULT_PORTS = { publishers: 5560, subscribers: 5559 } as const;

export interface BusEndpoints {
  /** publishers connect here (the proxy's XSUB side) */
  publishers: string;
  /** subscribers connect here (the proxy's XPUB side) */
  subscribers: string;
  /** on a secured bus: this client's CURVE keys and seal (absent: no security, e.g. the car-local ipc bus) */
  security?: ClientSecurity | undefined;
  /** message sizes this bus carries: larger ones are refused at the socket and by the codec */
  limits?: DecodeLimits | undefined;
}

export function tcpEndpoint(host: string, port: number): string {
  return `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Unix socket paths are limited to 107 bytes by the kernel. */
const MAX_IPC_PATH = 107;

/**
 * The car-local bus lives on ipc:// sockets in the car's run directory, so it needs no network and
 * several simulated cars can share one machine without port clashes.
 */
export function carLocalEndpoints(runDir: string): BusEndpoints {
  const publishers = path.resolve(runDir, 'bus-pub.ipc');
  const subscribers = path.resolve(runDir, 'bus-sub.ipc');
  if (Buffer.byteLength(publishers) > MAX_IPC_PATH) {
    throw new Error(`car bus socket path ${publishers} is longer than ${MAX_IPC_PATH} bytes: choose a shorter data directory`);
  }
  return { publishers: `ipc://${publishers}`, subscribers: `ipc://${subscribers}` };
}
