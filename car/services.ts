/** The car's services, in start order. Each runs in its own process (runtime/run-service.ts). */
import type { ServiceEntry } from '../runtime/service.ts';

export const CAR_SERVICES: readonly ServiceEntry[] = [
  { name: 'proxy', load: async () => (await import('./localbus/service.ts')).default },
  { name: 'uplink', load: async () => (await import('./uplink/service.ts')).default },
];
