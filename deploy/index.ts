/** Deploy: signing keys, the TUF update repository, release building and publishing. */
export { createKeys, generateRoleKey, keyFile, loadOnlineKeys, loadRoleKey, type KeySet, type OnlineKeys } from './keys.ts';
export { DEFAULT_EXPIRIES, TufRepository } from './repository.ts';
export { OS_BUNDLE_FILE, buildService, carRelease, carReleases, latestRelease, publishRelease, readModelDir, releaseByVersion, republishRelease, type OsContent, type PublishOptions, type ServiceContent } from './release.ts';
export { REPOSITORY_ROOT, findServiceSpec } from './catalog.ts';
export { deployPaths, type DeployPaths } from './paths.ts';
export { buildRunnerBundle } from './bundle.ts';
export { createOsKeys, hasOsKeys, osKeyFiles, osKeyringCopy, type OsKeyFiles, type OsKeyOptions } from './os-keys.ts';
export { OsBundleError, casyncIndexImages, checkOsBundle, osBundleInfo, osContent, parseRaucInfo, type OsBundleChunks, type OsBundleCheckOptions, type OsBundleInfo, type RaucInfo } from './os-bundle.ts';
export { CasyncIndexError, CHUNK_PATH, MAX_INDEX_BYTES, chunkPath, chunkStoreOf, parseCasyncIndex, uniqueChunkIds, type CasyncChunk, type CasyncIndex } from './casync-index.ts';
export { ChunkStoreError, checkChunkStore, poolChunks, type PooledChunks, type StoreCheck } from './chunk-pool.ts';
export { osStatusLine, type CarOsState } from './os-status.ts';
