/**
 * Releases: build service bundles and model files into content-addressed targets plus a manifest,
 * and publish them as one signed repository version. Each release describes the whole car (every
 * service and the model), so a car several releases behind needs only the newest manifest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildServiceBundle } from './bundle.ts';
import { serviceAssets, type ServiceSpec } from './catalog.ts';
import type { OnlineKeys } from './keys.ts';
import {
  LATEST_RELEASE_TARGET,
  carOfReleaseTarget,
  carReleaseTarget,
  parseManifest,
  releaseTargetPath,
  releaseTargetVersion,
  serializeManifest,
  type ModelRelease,
  type OsRelease,
  type ReleaseFile,
  type ReleaseManifest,
  type ServiceRelease,
  type UpdateStrategy,
} from '../protocol/index.ts';
import { poolChunks, type PooledChunks } from './chunk-pool.ts';
import { RepositoryError, sha256Hex, type TargetInput, type TufRepository } from './repository.ts';

export interface FileContent {
  /** relative to the service's or model's install directory */
  path: string;
  bytes: Uint8Array;
}

export interface ServiceContent {
  entry: string;
  files: FileContent[];
  strategy: UpdateStrategy;
  needsHardware: boolean;
  externals: string[];
}

export interface ModelContent {
  name: string;
  files: FileContent[];
}

/** A checked car OS bundle (see checkOsBundle): what the release manifest's `os` is made of. */
export interface OsContent {
  version: string;
  compatible: string;
  /** the bundle's file name (its TUF target is `os/<fileName>`, stored under its sha256) */
  fileName: string;
  bytes: Uint8Array;
  /**
   * A chunked bundle's chunks (checkOsBundle found them in their store): publishing copies them into
   * the repository's chunk pool before it signs anything, so no release names a chunk the pool lacks.
   */
  chunks?: { store: string; ids: readonly string[] };
}

export interface ReleaseChanges {
  label: string;
  services?: Record<string, ServiceContent>;
  model?: ModelContent;
  os?: OsContent;
}

/** The bundle's name in the agent's OS download folder: one at a time, whatever the target is called. */
export const OS_BUNDLE_FILE = 'os.raucb';
const OS_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

const SERVICE_FILE = 'service.js';
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Bundles a car service from the source tree (progress is the caller's to report). */
export async function buildService(spec: ServiceSpec, sourceRoot: string): Promise<ServiceContent> {
  const bundle = await buildServiceBundle(path.join(sourceRoot, spec.entry));
  return {
    entry: SERVICE_FILE,
    // the bundle reads its data files (tracks) beside itself
    files: [{ path: SERVICE_FILE, bytes: bundle.bytes }, ...serviceAssets(spec, sourceRoot)],
    strategy: spec.strategy,
    needsHardware: spec.needsHardware,
    externals: bundle.externals,
  };
}

/** Every file of a saved model directory (tfjs model.json, weight shards, metadata). */
export function readModelDir(dir: string, name = path.basename(path.resolve(dir)).toLowerCase()): ModelContent {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new RepositoryError(`model directory ${dir} does not exist`);
  if (!MODEL_NAME.test(name)) throw new RepositoryError(`invalid model name '${name}': use lowercase letters, digits, '.', '-' or '_' (or pass --name)`);
  const files: FileContent[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push({ path: child, bytes: fs.readFileSync(path.join(dir, child)) });
    }
  };
  walk('');
  if (files.length === 0) throw new RepositoryError(`model directory ${dir} has no files`);
  return { name, files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}

/** The fleet's newest release, or undefined for a fresh repository. */
export function latestRelease(repo: TufRepository): ReleaseManifest | undefined {
  return repo.target(LATEST_RELEASE_TARGET) ? parseManifest(repo.readTarget(LATEST_RELEASE_TARGET)) : undefined;
}

/** One car's own release (from a per-car rollback), or undefined. */
export function carRelease(repo: TufRepository, car: string): ReleaseManifest | undefined {
  const target = carReleaseTarget(car);
  return repo.target(target) ? parseManifest(repo.readTarget(target)) : undefined;
}

/** The cars with a release of their own, with it. */
export function carReleases(repo: TufRepository): { car: string; release: ReleaseManifest }[] {
  return repo.targets().flatMap((target) => {
    const car = carOfReleaseTarget(target.path);
    return car === undefined ? [] : [{ car, release: parseManifest(repo.readTarget(target.path)) }];
  });
}

/** Versions count up over the fleet's releases and every car's own: a new one is above them all. */
function nextVersion(repo: TufRepository): number {
  const highest = repo.targets().reduce((max, t) => Math.max(max, releaseTargetVersion(t.path) ?? 0), 0);
  return highest + 1;
}

export function releaseByVersion(repo: TufRepository, version: number): ReleaseManifest {
  if (!repo.target(releaseTargetPath(version))) throw new RepositoryError(`release ${version} does not exist`);
  return parseManifest(repo.readTarget(releaseTargetPath(version)));
}

function toTargets(prefix: string, files: readonly FileContent[]): { targets: TargetInput[]; listed: ReleaseFile[] } {
  const targets = files.map((f) => ({ path: `${prefix}/${f.path}`, bytes: f.bytes }));
  const listed = files.map((f, i) => ({ path: f.path, target: targets[i]!.path, sha256: sha256Hex(f.bytes), length: f.bytes.length }));
  return { targets, listed };
}

export interface PublishOptions {
  now?: Date;
  /**
   * The release whose services and model the new one carries over: by default the fleet's
   * newest; another version when the newest was withdrawn (the NUC decides which from its
   * rollout records); null for none, so the release holds only `changes`.
   */
  base?: number | null;
  /** told what pooling a chunked OS bundle's chunks did (how many were new, how many the pool had) */
  onChunks?: (pooled: PooledChunks) => void;
}

/** Every file a release lists: its services', its model's and its OS bundle. */
function releaseFiles(release: Pick<ReleaseManifest, 'services' | 'model' | 'os'>): ReleaseFile[] {
  return [...Object.values(release.services).flatMap((s) => s.files), ...(release.model?.files ?? []), ...(release.os ? [release.os.bundle] : [])];
}

/** The blobs are content-addressed and kept, so an older release's files are re-listed from the repository itself. */
function storedTargets(repo: TufRepository, files: readonly ReleaseFile[]): TargetInput[] {
  return files.map((f) => ({ path: f.target, bytes: repo.readBlob(f.target, f.sha256) }));
}

/** Publishes the base release (the newest by default) with `changes` applied, as the next version. */
export function publishRelease(repo: TufRepository, keys: OnlineKeys, changes: ReleaseChanges, options: PublishOptions = {}): ReleaseManifest {
  const now = options.now ?? new Date();
  const latest = latestRelease(repo);
  const previous = options.base === undefined ? latest : options.base === null ? undefined : releaseByVersion(repo, options.base);
  const targets: TargetInput[] = [];
  const services: Record<string, ServiceRelease> = { ...previous?.services };
  for (const [name, content] of Object.entries(changes.services ?? {})) {
    const { targets: t, listed } = toTargets(`services/${name}`, content.files);
    targets.push(...t);
    services[name] = { entry: content.entry, files: listed, strategy: content.strategy, needsHardware: content.needsHardware, externals: content.externals };
  }
  let model: ModelRelease | undefined = previous?.model;
  if (changes.model) {
    const { targets: t, listed } = toTargets(`models/${changes.model.name}`, changes.model.files);
    targets.push(...t);
    model = { name: changes.model.name, files: listed };
  }
  // An OS stays in every later release until one replaces it, whatever else those releases change:
  // a release describes the whole car, so the car's desired OS is always stated (a services release
  // after an OS release does not tell the cars to go back to, or forget, the OS they were given).
  let osRelease: OsRelease | undefined = previous?.os;
  if (changes.os) {
    const { version, compatible, fileName, bytes } = changes.os;
    if (!OS_FILE_NAME.test(fileName)) throw new RepositoryError(`invalid OS bundle file name '${fileName}': use letters, digits, '.', '_', '+' or '-'`);
    const target = `os/${fileName}`;
    targets.push({ path: target, bytes });
    // the chunks first: a car that reads the release finds every chunk its index names
    if (changes.os.chunks) {
      const pooled = poolChunks(repo.chunksDir, changes.os.chunks.store, changes.os.chunks.ids);
      options.onChunks?.(pooled);
    }
    osRelease = { version, compatible, bundle: { path: OS_BUNDLE_FILE, target, sha256: sha256Hex(bytes), length: bytes.length } };
  }
  if (previous && previous.version !== latest?.version) {
    // target paths name a service's, model's or OS bundle's file, not its content: the newer release
    // re-pointed them, so what is carried over from an older base is listed again
    const changed = new Set(targets.map((t) => t.path));
    const carried = releaseFiles({ services, model, os: osRelease }).filter((f) => !changed.has(f.target));
    targets.push(...storedTargets(repo, carried));
  }
  const manifest: ReleaseManifest = {
    schema: 1,
    version: nextVersion(repo),
    label: changes.label,
    createdAt: now.toISOString(),
    services,
    ...(model ? { model } : {}),
    ...(osRelease ? { os: osRelease } : {}),
  };
  return publishManifest(repo, keys, manifest, targets);
}

/**
 * Rolls back by moving forward: the content of `old` as a new, higher version. Cars (and TUF)
 * refuse to go back to a lower version, so a rollback is always a new release. With `car`, only
 * that car gets it (its own release target); otherwise the whole fleet does.
 */
export function republishRelease(repo: TufRepository, keys: OnlineKeys, old: ReleaseManifest, label: string, options: { car?: string; now?: Date } = {}): ReleaseManifest {
  const now = options.now ?? new Date();
  // the old release's OS too: a rollback names the OS the car should run, like any release
  const targets = storedTargets(repo, releaseFiles(old));
  const manifest: ReleaseManifest = {
    ...old,
    version: nextVersion(repo),
    label,
    createdAt: now.toISOString(),
    rollbackOf: old.version,
  };
  return publishManifest(repo, keys, manifest, targets, options.car === undefined ? LATEST_RELEASE_TARGET : carReleaseTarget(options.car));
}

function publishManifest(repo: TufRepository, keys: OnlineKeys, manifest: ReleaseManifest, files: TargetInput[], as = LATEST_RELEASE_TARGET): ReleaseManifest {
  const bytes = serializeManifest(manifest);
  parseManifest(bytes); // never sign a manifest the cars would reject
  repo.publish([...files, { path: releaseTargetPath(manifest.version), bytes }, { path: as, bytes }], keys);
  return manifest;
}
