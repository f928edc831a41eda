/** The car's services, in start order. Each runs in its own process (launcher/run-service.ts). */
import type { ServiceEntry } from '../runtime/index.ts';
import { AGENT_MANAGED_SERVICES } from './updatable-services.ts';

export const CAR_SERVICES: readonly ServiceEntry[] = [
  { name: 'proxy', load: async () => (await import('./localbus/service.ts')).default },
  { name: 'uplink', load: async () => (await import('./uplink/service.ts')).default, usesNucBus: true },
  {
    name: 'sim',
    load: async () => (await import('./sim/service.ts')).default,
    enabled: (config) => config.car.i2c.bus === 'sim',
  },
  { name: 'actuator', load: async () => (await import('./actuator/service.ts')).default },
  { name: 'camera', load: async () => (await import('./camera/service.ts')).default },
  { name: 'pilot', load: async () => (await import('./pilot/service.ts')).default },
  {
    name: 'agent',
    load: async () => (await import('./agent/service.ts')).default,
    enabled: (config) => config.car.agent.enabled,
  },
];

/** The car services the launcher itself runs under this configuration. */
export function launchedCarServices(config: Parameters<NonNullable<ServiceEntry['enabled']>>[0]): ServiceEntry[] {
  return CAR_SERVICES.filter((entry) => entry.enabled?.(config) ?? true).filter(
    (entry) => !(config.car.agent.enabled && AGENT_MANAGED_SERVICES.includes(entry.name)),
  );
}
