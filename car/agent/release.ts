/**
 * What a release puts on the car, as the agent sees it: content-addressed files per service plus an
 * optional model, and a monotonic version. Pure helpers only; the TUF-verified manifest from
 * `deploy/` parses into this shape (extra fields such as `entry` and `target` ride along).
 */

export const STRATEGIES = ['hand-over', 'kill-then-download', 'delete-then-download'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface ReleaseFile {
  /** relative to the service's (or model's) install directory */
  path: string;
  sha256: string;
  length: number;
  /** the repository path to download it by, when it differs from `path` */
  target?: string;
}

export interface ServiceRelease {
  files: ReleaseFile[];
  strategy: Strategy;
  /** owns a device (the actuator owns the I2C bus): two copies cannot run side by side */
  needsHardware?: boolean;
  /** the file the runner starts, when the service says */
  entry?: string;
}

export interface ModelRelease {
  name?: string;
  files: ReleaseFile[];
}

export interface Release {
  /** monotonic: a car never installs a version lower than or equal to its own */
  version: number;
  label: string;
  services: Record<string, ServiceRelease>;
  model?: ModelRelease;
}

export class ReleaseError extends Error {
  override name = 'ReleaseError';
}

const SHA256 = /^[0-9a-f]{64}$/;
const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseFiles(raw: unknown, where: string): ReleaseFile[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new ReleaseError(`${where}.files must be a non-empty array`);
  const seen = new Set<string>();
  return raw.map((file, i) => {
    const at = `${where}.files[${i}]`;
    if (!isRecord(file)) throw new ReleaseError(`${at} must be an object`);
    const { path, sha256, length, target } = file;
    if (typeof path !== 'string' || path.length === 0 || path.startsWith('/') || path.split('/').includes('..')) {
      throw new ReleaseError(`${at}.path must be a relative path without '..'`);
    }
    if (seen.has(path)) throw new ReleaseError(`${at}.path '${path}' is listed twice`);
    seen.add(path);
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw new ReleaseError(`${at}.sha256 must be 64 lowercase hex digits`);
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new ReleaseError(`${at}.length must be a non-negative integer`);
    if (target !== undefined && (typeof target !== 'string' || target.length === 0)) throw new ReleaseError(`${at}.target must be a non-empty string`);
    return { path, sha256, length, ...(target === undefined ? {} : { target }) };
  });
}

function parseStrategy(raw: unknown, where: string): Strategy {
  // deploy/ spells the first strategy 'handover' (balena's label value)
  if (raw === 'handover') return 'hand-over';
  if (typeof raw === 'string' && (STRATEGIES as readonly string[]).includes(raw)) return raw as Strategy;
  throw new ReleaseError(`${where}.strategy must be one of ${STRATEGIES.join(', ')}`);
}

/** Validates a release (e.g. a verified manifest); throws a ReleaseError naming the bad field. */
export function parseRelease(raw: unknown): Release {
  if (!isRecord(raw)) throw new ReleaseError('release must be an object');
  const { version, label, services, model } = raw;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw new ReleaseError('release.version must be an integer >= 1');
  if (typeof label !== 'string' || label.length > 200) throw new ReleaseError('release.label must be a string of at most 200 characters');
  if (!isRecord(services)) throw new ReleaseError('release.services must be an object');
  const parsed: Record<string, ServiceRelease> = {};
  for (const [name, spec] of Object.entries(services)) {
    const where = `release.services.${name}`;
    if (!SERVICE_NAME.test(name)) throw new ReleaseError(`${where}: service names are lowercase letters, digits, '.', '_' or '-'`);
    if (!isRecord(spec)) throw new ReleaseError(`${where} must be an object`);
    if (spec.needsHardware !== undefined && typeof spec.needsHardware !== 'boolean') throw new ReleaseError(`${where}.needsHardware must be a boolean`);
    if (spec.entry !== undefined && typeof spec.entry !== 'string') throw new ReleaseError(`${where}.entry must be a string`);
    parsed[name] = {
      files: parseFiles(spec.files, where),
      strategy: parseStrategy(spec.strategy, where),
      ...(spec.needsHardware ? { needsHardware: true } : {}),
      ...(typeof spec.entry === 'string' ? { entry: spec.entry } : {}),
    };
  }
  let parsedModel: ModelRelease | undefined;
  if (model !== undefined) {
    if (!isRecord(model)) throw new ReleaseError('release.model must be an object');
    if (model.name !== undefined && typeof model.name !== 'string') throw new ReleaseError('release.model.name must be a string');
    parsedModel = { ...(typeof model.name === 'string' ? { name: model.name } : {}), files: parseFiles(model.files, 'release.model') };
  }
  return { version, label, services: parsed, ...(parsedModel ? { model: parsedModel } : {}) };
}

function sameFiles(a: readonly ReleaseFile[] | undefined, b: readonly ReleaseFile[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  const key = (f: ReleaseFile): string => `${f.path}\0${f.sha256}`;
  const left = new Set(a.map(key));
  return b.every((f) => left.has(key(f)));
}

function sameService(a: ServiceRelease, b: ServiceRelease): boolean {
  return sameFiles(a.files, b.files) && a.entry === b.entry;
}

export interface ReleaseDiff {
  /** services added or whose files changed, sorted */
  changed: string[];
  /** services in `from` that `to` no longer has, sorted */
  removed: string[];
  modelChanged: boolean;
}

export function diffReleases(from: Release | undefined, to: Release): ReleaseDiff {
  const before = from?.services ?? {};
  const changed = Object.keys(to.services)
    .filter((name) => !before[name] || !sameService(before[name], to.services[name]!))
    .sort();
  const removed = Object.keys(before)
    .filter((name) => !(name in to.services))
    .sort();
  return { changed, removed, modelChanged: !sameFiles(from?.model?.files, to.model?.files) };
}

/** The services a move from `from` to `to` has to restart. */
export function changedServices(from: Release | undefined, to: Release): string[] {
  return diffReleases(from, to).changed;
}

/** True when only the model differs: it is swapped inside the running pilot, no process restarts. */
export function isModelOnly(from: Release | undefined, to: Release): boolean {
  const diff = diffReleases(from, to);
  return diff.modelChanged && diff.changed.length === 0 && diff.removed.length === 0;
}

/** Whether two releases put the same content on the car (the version aside). */
export function sameContent(a: Release, b: Release): boolean {
  const diff = diffReleases(a, b);
  return !diff.modelChanged && diff.changed.length === 0 && diff.removed.length === 0;
}

/** The distinct blobs (by sha256) of the given services and, optionally, the model. */
export function releaseBlobs(release: Release, services: readonly string[] = Object.keys(release.services), model = true): ReleaseFile[] {
  const files = [...services.flatMap((name) => release.services[name]?.files ?? []), ...(model ? (release.model?.files ?? []) : [])];
  const unique = new Map<string, ReleaseFile>();
  for (const file of files) if (!unique.has(file.sha256)) unique.set(file.sha256, file);
  return [...unique.values()];
}

export function missingBlobs(files: readonly ReleaseFile[], present: ReadonlySet<string>): ReleaseFile[] {
  return files.filter((file) => !present.has(file.sha256));
}

export function sumBytes(files: readonly ReleaseFile[]): number {
  return files.reduce((total, file) => total + file.length, 0);
}

/** Bytes still to fetch for a move from `from` to `to`, given the blobs already on the car. */
export function bytesToDownload(from: Release | undefined, to: Release, present: ReadonlySet<string>): number {
  const diff = diffReleases(from, to);
  return sumBytes(missingBlobs(releaseBlobs(to, diff.changed, diff.modelChanged), present));
}
