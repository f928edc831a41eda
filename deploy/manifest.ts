/**
 * The release manifest: what one release puts on a car. It is itself a TUF target
 * (`releases/<version>.json`, `releases/latest.json` for the fleet's newest and `cars/<id>/latest.json`
 * for one car's own), so the car verifies it through TUF and then trusts the sha256 and length it
 * lists for each file.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * How the car's agent swaps a service: start the new one beside the old and hand over, or stop the old
 * one first (kill-then-download), or also delete its files first (delete-then-download) when a car is
 * short of memory or disk.
 */
export const UPDATE_STRATEGIES = ['handover', 'kill-then-download', 'delete-then-download'] as const;
export type UpdateStrategy = (typeof UPDATE_STRATEGIES)[number];

export const LATEST_RELEASE_TARGET = 'releases/latest.json';
export function releaseTargetPath(version: number): string {
  return `releases/${version}.json`;
}

/** The version a `releases/<version>.json` target holds; undefined for any other target. */
export function releaseTargetVersion(target: string): number | undefined {
  const version = /^releases\/(\d+)\.json$/.exec(target)?.[1];
  return version === undefined ? undefined : Number(version);
}

/**
 * One car's own release (a per-car rollback), beside the fleet's `releases/latest.json`: the car
 * runs whichever of the two has the higher version, so the next release for the fleet supersedes it.
 */
export function carReleaseTarget(car: string): string {
  return `cars/${car}/latest.json`;
}

/** The car whose own release this target is; undefined for any other target. */
export function carOfReleaseTarget(target: string): string | undefined {
  return /^cars\/([^/]+)\/latest\.json$/.exec(target)?.[1];
}

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });

export const ReleaseFileSchema = Type.Object({
  /** where the file goes, relative to the service's (or model's) install directory */
  path: Type.String({ minLength: 1, maxLength: 300 }),
  /** the TUF target path to download it by */
  target: Type.String({ minLength: 1, maxLength: 400 }),
  sha256: Sha256,
  length: Type.Integer({ minimum: 0 }),
});

export const ServiceReleaseSchema = Type.Object({
  /** the file the runner imports (its default export is the service) */
  entry: Type.String({ minLength: 1, maxLength: 300 }),
  files: Type.Array(ReleaseFileSchema, { minItems: 1 }),
  strategy: Type.Union(UPDATE_STRATEGIES.map((s) => Type.Literal(s))),
  /** owns a device (camera, I2C bus): two copies cannot both run during a hand-over */
  needsHardware: Type.Boolean(),
  /** native packages the bundle imports but does not contain; the car must have them installed */
  externals: Type.Array(Type.String({ maxLength: 214 })),
});

export const ModelReleaseSchema = Type.Object({
  name: Name,
  files: Type.Array(ReleaseFileSchema, { minItems: 1 }),
});

export const ReleaseManifestSchema = Type.Object({
  schema: Type.Literal(1),
  /** monotonic: every publish (a rollback too) gets a higher version */
  version: Type.Integer({ minimum: 1 }),
  label: Type.String({ maxLength: 200 }),
  createdAt: Type.String({ maxLength: 40 }),
  services: Type.Record(Name, ServiceReleaseSchema),
  model: Type.Optional(ModelReleaseSchema),
  /** set when this release re-publishes an older one's content */
  rollbackOf: Type.Optional(Type.Integer({ minimum: 1 })),
});

export type ReleaseFile = Static<typeof ReleaseFileSchema>;
export type ServiceRelease = Static<typeof ServiceReleaseSchema>;
export type ModelRelease = Static<typeof ModelReleaseSchema>;
export type ReleaseManifest = Static<typeof ReleaseManifestSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const check = TypeCompiler.Compile(ReleaseManifestSchema);

export function parseManifest(bytes: Uint8Array | string): ReleaseManifest {
  let data: unknown;
  try {
    data = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`release manifest is not JSON: ${(error as Error).message}`);
  }
  if (!check.Check(data)) {
    const first = check.Errors(data).First();
    throw new ManifestError(`release manifest is invalid at ${first?.path || '/'}: ${first?.message ?? 'unknown error'}`);
  }
  return data;
}

export function serializeManifest(manifest: ReleaseManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Every file the release needs, once per content hash (what the agent downloads if it lacks it). */
export function releaseFiles(manifest: ReleaseManifest): ReleaseFile[] {
  const all = [...Object.values(manifest.services).flatMap((s) => s.files), ...(manifest.model?.files ?? [])];
  const seen = new Set<string>();
  return all.filter((f) => !seen.has(f.sha256) && seen.add(f.sha256) !== undefined);
}
