/**
 * Which update root a car trusts. A configured root always wins. The one-machine demo's simulated
 * car may trust its own repository's first root on first sight; a car with real hardware
 * (`car.i2c.bus` a bus number) never does: it installs nothing until a root is provisioned, which
 * pairing the car (`npm run bus -- pair … --role car`) writes beside its keys.
 */
import path from 'node:path';
import type { PlatformConfig } from '../../runtime/index.ts';

export const UNPROVISIONED_ROOT =
  "car.agent.trustedRoot is not set: a car with real hardware installs no update until its trusted root is provisioned (`npm run bus -- pair` writes root.json beside the car's keys)";

/** The root.json to trust, or undefined when this car must wait for one to be provisioned. */
export function trustedRootOf(car: Pick<PlatformConfig['car'], 'i2c' | 'agent'>, dataDir: string): string | undefined {
  if (car.agent.trustedRoot) return car.agent.trustedRoot;
  return car.i2c.bus === 'sim' ? path.join(dataDir, 'ota', 'repository', 'metadata', '1.root.json') : undefined;
}
