/** Deploy: signing keys, the TUF update repository, release building and publishing. */
export { createKeys, generateRoleKey, keyFile, loadOnlineKeys, loadRoleKey, type KeySet, type OnlineKeys } from './keys.ts';
export { DEFAULT_EXPIRIES, TufRepository } from './repository.ts';
export { buildService, carRelease, carReleases, latestRelease, publishRelease, readModelDir, releaseByVersion, republishRelease, type PublishOptions, type ServiceContent } from './release.ts';
export { REPOSITORY_ROOT, findServiceSpec } from './catalog.ts';
export { deployPaths, type DeployPaths } from './paths.ts';
export { buildRunnerBundle } from './bundle.ts';
export { createOsKeys, hasOsKeys, osKeyFiles, type OsKeyFiles, type OsKeyOptions } from './os-keys.ts';
