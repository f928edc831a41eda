/**
 * The NUC's signing for the update repository, with deploy's online keys (`<keys>/online`): the
 * rollback publisher and the timestamp signer. Missing keys or repository make a rollback a clear
 * 409 and leave the timestamp alone.
 */
import fs from 'node:fs';
import { TufRepository, keyFile, loadOnlineKeys, loadRoleKey, releaseByVersion, republishRelease, type DeployPaths } from '../../deploy/index.ts';
import { RollbackRefused, type RollbackPublisher, type TimestampSigner } from '../ota/index.ts';

export function rollbackPublisher(paths: DeployPaths): RollbackPublisher {
  if (!TufRepository.exists(paths.repositoryDir)) throw new RollbackRefused(`no update repository at ${paths.repositoryDir}; run \`npm run deploy -- init\` first`);
  const missing = (['targets', 'snapshot', 'timestamp'] as const).map((role) => keyFile(paths.keysDir, role)).filter((file) => !fs.existsSync(file));
  if (missing.length > 0) throw new RollbackRefused(`cannot sign a rollback: the online keys are missing (${missing.join(', ')})`);
  const repo = TufRepository.open(paths.repositoryDir);
  const keys = loadOnlineKeys(paths.keysDir);
  return {
    republish(version, label) {
      let old;
      try {
        old = releaseByVersion(repo, version);
      } catch (error) {
        throw new RollbackRefused(`release ${version} cannot be re-published: ${(error as Error).message}`);
      }
      const manifest = republishRelease(repo, keys, old, label);
      return { version: manifest.version, label: manifest.label, createdAt: manifest.createdAt, rollbackOf: manifest.rollbackOf, manifest };
    },
  };
}

/** undefined when there is no repository or no online timestamp key to sign with. */
export function timestampSigner(paths: DeployPaths): TimestampSigner | undefined {
  if (!TufRepository.exists(paths.repositoryDir) || !fs.existsSync(keyFile(paths.keysDir, 'timestamp'))) return undefined;
  const repo = TufRepository.open(paths.repositoryDir);
  return {
    expires: () => repo.versions().timestampExpires,
    refresh: () => repo.refreshTimestamp(loadRoleKey(paths.keysDir, 'timestamp')),
  };
}
