/** The car services a release can carry, where their code starts, and how the agent swaps them. */
import fs from 'node:fs';
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
  /**
   * data the bundled code reads beside itself (`import.meta.url`-relative), as directories relative to
   * the repository root; each lands under its own base name next to `service.js`
   */
  assets?: readonly string[];
}

/** The simulator's tracks: the simulated camera and the expert pilot load them by file. */
const TRACKS = ['car/sim/tracks'] as const;

/**
 * Only the services the car's agent runs can be released: proxy, uplink and sim are the platform the
 * agent itself stands on (the launcher runs them), so they update with the car's install.
 */
export const CAR_SERVICE_SPECS: readonly ServiceSpec[] = [
  // the I2C bus and the camera have one owner: the agent stops the old process before starting the new
  { name: 'actuator', entry: 'car/actuator/service.ts', strategy: 'handover', needsHardware: true },
  { name: 'camera', entry: 'car/camera/service.ts', strategy: 'handover', needsHardware: true, assets: TRACKS },
  { name: 'pilot', entry: 'car/pilot/service.ts', strategy: 'handover', needsHardware: false, assets: TRACKS },
];

export function findServiceSpec(name: string): ServiceSpec {
  const spec = CAR_SERVICE_SPECS.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown car service '${name}'; known: ${CAR_SERVICE_SPECS.map((s) => s.name).join(', ')}`);
  return spec;
}

/** The asset files of a service, as release files (`tracks/default.json`, ...), sorted. */
export function serviceAssets(spec: ServiceSpec, sourceRoot: string = REPOSITORY_ROOT): { path: string; bytes: Uint8Array }[] {
  const files: { path: string; bytes: Uint8Array }[] = [];
  for (const dir of spec.assets ?? []) {
    const base = path.basename(dir);
    const walk = (relative: string): void => {
      for (const entry of fs.readdirSync(path.join(sourceRoot, dir, relative), { withFileTypes: true })) {
        if (entry.name.startsWith('.')) continue;
        const child = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(child);
        else if (entry.isFile()) files.push({ path: `${base}/${child}`, bytes: fs.readFileSync(path.join(sourceRoot, dir, child)) });
      }
    };
    walk('');
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
