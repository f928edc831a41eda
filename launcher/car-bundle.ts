/**
 * How the car's services run: from the runner bundle with plain `node` (a car is a Raspberry Pi
 * with 1 GB: no TypeScript compiler in every process), built from the source tree when it changed.
 *
 * The bundle lives in `dist/car/<hash>/`, the hash taken over the contents of the sources it was
 * built from (and the builder and the lockfile), so a rebuild never replaces files under a running
 * service: a process loads its service's chunks lazily, and they stay where it found them. Builds
 * write a temporary directory and rename it into place; two launchers building at once both succeed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildRunnerBundle } from '../deploy/index.ts';
import { writeFileAtomicSync } from '../runtime/index.ts';
import { BUILTIN_TRACKS_DIR } from '../world/index.ts';

/** Node flags for every car service: a small young generation (the camera and pilot churn buffers). */
export const CAR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
/** glibc's malloc otherwise keeps an arena per thread (libvips, zeromq and libuv each start some). */
export const CAR_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_TRIM_THRESHOLD_: '131072' };

/** Built bundles kept besides the newest, for services still running from them. */
const KEEP_BUILDS = 3;
const RUNNER = 'launcher/run-service.ts';
/** Data files the bundled code reads beside itself (import.meta.url-relative). */
const ASSETS = [BUILTIN_TRACKS_DIR];
/** What else decides the output: the builder, this file, the dependencies. */
const BUILD_INPUTS = ['deploy/bundle.ts', 'launcher/car-bundle.ts', 'package-lock.json'];

interface Latest {
  hash: string;
  /** relative to the repository root */
  inputs: string[];
}

export interface CarBundle {
  /** the bundled runner, `dist/car/<hash>/run-service.js` */
  runner: string;
  built: boolean;
}

function hashOf(root: string, inputs: readonly string[]): string | undefined {
  const hash = createHash('sha256');
  for (const input of [...inputs, ...BUILD_INPUTS, ...assetFiles(root)]) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(root, input));
    } catch {
      return undefined; // an input is gone: build again
    }
    hash.update(input).update('\0').update(bytes).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function assetFiles(root: string): string[] {
  return ASSETS.flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name))),
  ).sort();
}

function readLatest(file: string): Latest | undefined {
  try {
    const latest = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Latest>;
    return typeof latest.hash === 'string' && Array.isArray(latest.inputs) ? { hash: latest.hash, inputs: latest.inputs } : undefined;
  } catch {
    return undefined;
  }
}

/** Removes all but the newest few builds. */
function prune(dir: string, keep: string): void {
  const builds = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name) && entry.name !== keep)
    .map((entry) => ({ name: entry.name, mtime: fs.statSync(path.join(dir, entry.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS - 1)) fs.rmSync(path.join(dir, old.name), { recursive: true, force: true });
}

/** The car's runner bundle for the source tree at `root`, built first when the sources changed. */
export async function ensureCarBundle(root: string): Promise<CarBundle> {
  const dir = path.join(root, 'dist', 'car');
  const latestFile = path.join(dir, 'latest.json');
  const latest = readLatest(latestFile);
  if (latest && hashOf(root, latest.inputs) === latest.hash && fs.existsSync(path.join(dir, latest.hash, 'run-service.js'))) {
    return { runner: path.join(dir, latest.hash, 'run-service.js'), built: false };
  }
  fs.mkdirSync(dir, { recursive: true });
  const temp = fs.mkdtempSync(path.join(dir, 'build-'));
  try {
    const inputs = (await buildRunnerBundle(path.join(root, RUNNER), temp)).map((file) => path.relative(root, file));
    for (const asset of ASSETS) fs.cpSync(path.join(root, asset), path.join(temp, path.basename(asset)), { recursive: true });
    const hash = hashOf(root, inputs);
    if (hash === undefined) throw new Error('the sources changed while the car bundle was built; start again');
    const target = path.join(dir, hash);
    try {
      fs.renameSync(temp, target);
    } catch (error) {
      // another launcher built the same sources first: its build is as good as ours
      if (!fs.existsSync(path.join(target, 'run-service.js'))) throw error;
    }
    writeFileAtomicSync(latestFile, `${JSON.stringify({ hash, inputs } satisfies Latest)}\n`);
    prune(dir, hash);
    return { runner: path.join(target, 'run-service.js'), built: true };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}
