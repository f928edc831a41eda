/**
 * The release manifest: what one release puts on a car, the one contract between the publisher
 * (deploy/) and the car's update agent (car/agent/), which both parse it with this schema. It is
 * itself a TUF target (`releases/<version>.json`, `releases/latest.json` for the fleet's newest and
 * `cars/<id>/latest.json` for one car's own), so the car verifies it through TUF and then trusts the
 * sha256 and length it lists for each file.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * How the car's agent swaps a service: `handover` starts the new one beside the old and switches
 * once it is healthy (balena's `hand-over` update strategy); the others stop the old one, and
 * delete its files, before downloading, for cars short of memory or disk.
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

/** Where the content-addressed blob of a target lives, relative to `targets/` (what tuf-js requests). */
export function blobPath(targetPath: string, sha256: string): string {
  const slash = targetPath.lastIndexOf('/');
  return slash < 0 ? `${sha256}.${targetPath}` : `${targetPath.slice(0, slash)}/${sha256}.${targetPath.slice(slash + 1)}`;
}

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' });
/** relative, and never climbing out of its directory: the car writes files there */
const InstallPath = Type.String({ minLength: 1, maxLength: 300, pattern: '^(?!/)(?!(.*/)?\\.\\.(/|$)).*$' });

export const ReleaseFileSchema = Type.Object({
  /** where the file goes, relative to the service's (or model's) install directory */
  path: InstallPath,
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

/** A RAUC `compatible` string (the image's system.conf says which one a car accepts). */
export const OS_COMPATIBLE_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
/** An OS version as the image names it (/etc/edge-os-release), e.g. 0.1.0-bc664b67. */
export const OS_VERSION_PATTERN = '^[A-Za-z0-9._+-]{1,64}$';

/**
 * The car OS a release carries: one RAUC bundle (verity format, signed by the offline code-signing
 * CA) installed whole into the inactive root slot. The agent installs it before the release's
 * services and models, and applies those on the new OS once it is marked good.
 */
export const OsReleaseSchema = Type.Object(
  {
    /** the bundle's version (RAUC's manifest `version`); a car refuses one older than it runs */
    version: Type.String({ pattern: OS_VERSION_PATTERN }),
    /** the kind of car it is for (RAUC's `compatible`); the car's RAUC refuses any other */
    compatible: Type.String({ pattern: OS_COMPATIBLE_PATTERN }),
    /** the bundle itself; `path` is its file name in the agent's OS download folder */
    bundle: ReleaseFileSchema,
  },
  { additionalProperties: false },
);

export const ReleaseManifestSchema = Type.Object({
  schema: Type.Literal(1),
  /** monotonic: every publish (a rollback too) gets a higher version */
  version: Type.Integer({ minimum: 1 }),
  label: Type.String({ maxLength: 200 }),
  createdAt: Type.String({ maxLength: 40 }),
  /** service names are directory names on the car: a name that does not match is refused */
  services: Type.Record(Name, ServiceReleaseSchema, { additionalProperties: false }),
  model: Type.Optional(ModelReleaseSchema),
  /** the car OS: installed first, into the inactive root slot; the rest applies on the new OS */
  os: Type.Optional(OsReleaseSchema),
  /** set when this release re-publishes an older one's content */
  rollbackOf: Type.Optional(Type.Integer({ minimum: 1 })),
});

export type ReleaseFile = Static<typeof ReleaseFileSchema>;
export type ServiceRelease = Static<typeof ServiceReleaseSchema>;
export type ModelRelease = Static<typeof ModelReleaseSchema>;
export type OsRelease = Static<typeof OsReleaseSchema>;
export type ReleaseManifest = Static<typeof ReleaseManifestSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const check = TypeCompiler.Compile(ReleaseManifestSchema);

/** The pointer of the first file listed twice in one service (or the model): the car would install it twice. */
function duplicatePath(manifest: ReleaseManifest): string | undefined {
  const lists: [string, ReleaseFile[]][] = [...Object.entries(manifest.services).map(([name, s]): [string, ReleaseFile[]] => [`/services/${name}`, s.files])];
  if (manifest.model) lists.push(['/model', manifest.model.files]);
  for (const [where, files] of lists) {
    const seen = new Set<string>();
    for (const [i, file] of files.entries()) {
      if (seen.has(file.path)) return `${where}/files/${i}/path: '${file.path}' is listed twice`;
      seen.add(file.path);
    }
  }
  return undefined;
}

/** A manifest already parsed from JSON (e.g. read back from the agent's journal); throws a ManifestError naming the bad field. */
export function checkManifest(data: unknown): ReleaseManifest {
  if (!check.Check(data)) {
    const first = check.Errors(data).First();
    throw new ManifestError(`release manifest is invalid at ${first?.path || '/'}: ${first?.message ?? 'unknown error'}`);
  }
  const duplicate = duplicatePath(data);
  if (duplicate) throw new ManifestError(`release manifest is invalid at ${duplicate}`);
  return data;
}

export function parseManifest(bytes: Uint8Array | string): ReleaseManifest {
  let data: unknown;
  try {
    data = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`release manifest is not JSON: ${(error as Error).message}`);
  }
  return checkManifest(data);
}

export function serializeManifest(manifest: ReleaseManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}
