/** The car services a release can carry, where their code starts, and how the agent swaps them. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpdateStrategy } from './manifest.ts';

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServiceSpec {
  name: string;
  /** the service module (default export: the service), relative to the repository root */
  entry: string;
  strategy: UpdateStrategy;
  needsHardware: boolean;
}

export const CAR_SERVICE_SPECS: readonly ServiceSpec[] = [
  { name: 'proxy', entry: 'car/localbus/service.ts', strategy: 'handover', needsHardware: false },
  { name: 'uplink', entry: 'car/uplink/service.ts', strategy: 'handover', needsHardware: false },
  { name: 'sim', entry: 'car/sim/service.ts', strategy: 'handover', needsHardware: false },
  // the I2C bus and the camera have one owner: the agent stops the old process before starting the new
  { name: 'actuator', entry: 'car/actuator/service.ts', strategy: 'handover', needsHardware: true },
  { name: 'camera', entry: 'car/camera/service.ts', strategy: 'handover', needsHardware: true },
  { name: 'pilot', entry: 'car/pilot/service.ts', strategy: 'handover', needsHardware: false },
];

export function findServiceSpec(name: string): ServiceSpec {
  const spec = CAR_SERVICE_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown car service '${name}'; known: ${CAR_SERVICE_SPECS.map((s) => s.name).join(', ')}`);
  return spec;
}
