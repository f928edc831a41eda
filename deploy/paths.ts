/** Where deploy keeps things under the data directory. The keys are deliberately not under ota/. */
import path from 'node:path';

export interface DeployPaths {
  /** served by the NUC at /ota/ */
  repositoryDir: string;
  /** never served, never in git; `offline/root.pem` can be moved off the machine */
  keysDir: string;
  /** the NUC's SQLite database (releases, rollouts) */
  databaseFile: string;
}

export function deployPaths(dataDir: string, keysDir?: string): DeployPaths {
  return {
    repositoryDir: path.join(dataDir, 'ota', 'repository'),
    keysDir: keysDir ?? path.join(dataDir, 'keys'),
    databaseFile: path.join(dataDir, 'nuc.sqlite'),
  };
}
