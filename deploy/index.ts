/** Deploy: signing keys, the TUF update repository, release building/publishing, and the car-side client. */
export { ONLINE_ROLES, KeyError, createKeys, generateRoleKey, loadOnlineKeys, loadRoleKey, roleKeyFromPem, keyFile } from './keys.ts';
export type { KeySet, OnlineKeys, OnlineRole, RoleKey, TopRole } from './keys.ts';
export { DEFAULT_EXPIRIES, RepositoryError, TufRepository, blobPath, sha256Hex } from './repository.ts';
export type { Expiries, RepositoryOptions, RepositoryVersions, StoredTarget, TargetInput } from './repository.ts';
export {
  LATEST_RELEASE_TARGET,
  carReleaseTarget,
  ManifestError,
  UPDATE_STRATEGIES,
  parseManifest,
  releaseFiles,
  releaseTargetPath,
  serializeManifest,
} from './manifest.ts';
export type { ModelRelease, ReleaseFile, ReleaseManifest, ServiceRelease, UpdateStrategy } from './manifest.ts';
export { buildService, carRelease, carReleases, latestRelease, publishRelease, readModelDir, releaseByVersion, republishRelease } from './release.ts';
export type { FileContent, ModelContent, ReleaseChanges, ServiceContent } from './release.ts';
export { BundleError, NATIVE_PACKAGES, buildServiceBundle, type ServiceBundle } from './bundle.ts';
export { CAR_SERVICE_SPECS, findServiceSpec, serviceAssets, type ServiceSpec } from './catalog.ts';
export { UpdateClient, UpdateRefusedError, classifyRefusal, provisionTrustedRoot } from './client.ts';
export type { RefusalReason, UpdateClientOptions } from './client.ts';
export { deployPaths, type DeployPaths } from './paths.ts';
export { runCli, USAGE, type CliIo } from './cli.ts';
