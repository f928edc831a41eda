/**
 * What a release changes on the car, as the agent reasons about it: pure helpers over the release
 * manifest (protocol/release-manifest.ts, the schema the publisher writes and the agent checks).
 */
import type { ModelRelease, ReleaseFile, ReleaseManifest, ServiceRelease } from '../../protocol/index.ts';

/** A verified release manifest; `version` is monotonic: a car never installs one lower than or equal to its own. */
export type Release = ReleaseManifest;
export type { ModelRelease, ReleaseFile, ServiceRelease };

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
