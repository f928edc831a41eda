/**
 * The guest runs plain JavaScript: under software emulation tsx's loader costs a node process about
 * eight seconds before the first line of a service runs, so the service entry point and the guest
 * scripts are compiled ahead, on the host, with the esbuild that tsx itself uses. Project code is
 * bundled (code-split, so each service still loads only its own modules); packages stay imports of the
 * project's node_modules, which is why the bundle sits inside the project folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from './kernel.ts';

/** The service entry point, relative to the project root: the one place that names it here. */
export const SERVICE_ENTRY = 'launcher/run-service.ts';
/** Always inside the project (package imports resolve from its node_modules), whatever EDGE_HIL_CACHE says. */
const BUNDLES = path.join(PROJECT_ROOT, 'data/cache/hil-bundles');

export interface GuestBundle {
  readonly dir: string;
  /** the compiled file of an entry, e.g. file('run-service') */
  file(entry: string): string;
  remove(): void;
}

/** Compiles the service entry point and `entries` (name → project-relative .ts file) into a fresh folder. */
export async function bundleForGuest(entries: Readonly<Record<string, string>>): Promise<GuestBundle> {
  fs.mkdirSync(BUNDLES, { recursive: true });
  const dir = fs.mkdtempSync(path.join(BUNDLES, 'b-'));
  const entryPoints = Object.fromEntries(
    Object.entries({ 'run-service': SERVICE_ENTRY, ...entries }).map(([name, file]) => [name, path.join(PROJECT_ROOT, file)]),
  );
  await build({
    entryPoints,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return {
    dir,
    file: (entry) => path.join(dir, `${entry}.mjs`),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
