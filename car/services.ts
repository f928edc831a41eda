/** The car's services, in start order. Each runs in its own process (runtime/run-service.ts). */
import type { ServiceEntry } from '../runtime/service.ts';

export const CAR_SERVICES: readonly ServiceEntry[] = [
  { name: 'proxy', load: async () => (await import('./localbus/service.ts')).default },
  { name: 'uplink', load: async () => (await import('./uplink/service.ts')).default },
  {
    name: 'sim',
    load: async () => (await import('./sim/service.ts')).default,
    enabled: (config) => config.car.i2c.bus === 'sim',
  },
  { name: 'actuator', load: async () => (await import('./actuator/service.ts')).default },
  { name: 'camera', load: async () => (await import('./camera/service.ts')).default },
  { name: 'pilot', load: async () => (await import('./pilot/service.ts')).default },
];
