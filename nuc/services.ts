/** The NUC's services, in start order. Each runs in its own process (launcher/run-service.ts). */
import type { ServiceEntry } from '../runtime/index.ts';

export const NUC_SERVICES: readonly ServiceEntry[] = [
  { name: 'proxy', load: async () => (await import('./proxy/service.ts')).default },
  { name: 'server', load: async () => (await import('./server/service.ts')).default },
  { name: 'wheel', load: async () => (await import('./wheel/service.ts')).default },
  { name: 'compositor', load: async () => (await import('./compositor/service.ts')).default },
  { name: 'recorder', load: async () => (await import('./recorder/service.ts')).default },
  { name: 'training', load: async () => (await import('./training/service.ts')).default },
  { name: 'timing', load: async () => (await import('./timing/service.ts')).default },
];
