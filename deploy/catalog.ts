/** The car services a release can carry (the car's own list), found by name, and the files they read beside their code. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPDATABLE_SERVICES, type UpdatableService } from '../car/index.ts';

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What deploy needs to bundle a service: where its code starts, its default strategy, its assets. */
export type ServiceSpec = Omit<UpdatableService, 'drives'>;

/** Only the services the car's agent runs can be released (car/updatable-services.ts). */
export const CAR_SERVICE_SPECS: readonly ServiceSpec[] = UPDATABLE_SERVICES;

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
