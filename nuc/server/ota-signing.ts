/**
 * The NUC's signing for the update repository, with deploy's online keys (`<keys>/online`): the
 * rollback publisher and the timestamp signer. Missing keys or repository make a rollback a clear
 * 409 and leave the timestamp alone.
 */
import fs from 'node:fs';
import { TufRepository, keyFile, latestRelease, loadOnlineKeys, loadRoleKey, publishRelease, readModelDir, releaseByVersion, republishRelease, type DeployPaths } from '../../deploy/index.ts';
import type { ReleaseManifest } from '../../protocol/index.ts';
import { RollbackRefused, releaseBaseFor, type OtaDb, type ReleaseBase, type RollbackPublisher, type TimestampSigner } from '../ota/index.ts';

/** The repository and its online keys; a RollbackRefused (a 409) says which is missing. */
function openSigning(paths: DeployPaths, what: string): { repo: TufRepository; keys: ReturnType<typeof loadOnlineKeys> } {
  if (!TufRepository.exists(paths.repositoryDir)) throw new RollbackRefused(`no update repository at ${paths.repositoryDir}; run \`npm run deploy -- init\` first`);
  const missing = (['targets', 'snapshot', 'timestamp'] as const).map((role) => keyFile(paths.keysDir, role)).filter((file) => !fs.existsSync(file));
  if (missing.length > 0) throw new RollbackRefused(`cannot sign ${what}: the online keys are missing (${missing.join(', ')})`);
  return { repo: TufRepository.open(paths.repositoryDir), keys: loadOnlineKeys(paths.keysDir) };
}

/**
 * Ships a saved model to the cars: a model-only release on top of the newest one, or of the last
 * healthy one when the fleet rolled back from the newest (`db` holds the rollouts).
 */
export interface ModelPublisher {
  publishModel(dir: string, name: string, label: string): { manifest: ReleaseManifest; base: ReleaseBase };
}

export function modelPublisher(paths: DeployPaths, db: OtaDb): ModelPublisher {
  const { repo, keys } = openSigning(paths, 'a model release');
  return {
    publishModel(dir, name, label) {
      const base = releaseBaseFor(db, latestRelease(repo)?.version);
      return { manifest: publishRelease(repo, keys, { label, model: readModelDir(dir, name) }, { base: base.version }), base };
    },
  };
}

export function rollbackPublisher(paths: DeployPaths): RollbackPublisher {
  const { repo, keys } = openSigning(paths, 'a rollback');
  return {
    republish(version, label, car) {
      let old;
      try {
        old = releaseByVersion(repo, version);
      } catch (error) {
        throw new RollbackRefused(`release ${version} cannot be re-published: ${(error as Error).message}`);
      }
      const manifest = republishRelease(repo, keys, old, label, { car });
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
