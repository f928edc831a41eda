/** The release a new one builds on, from the NUC's rollout records (release-base.ts has the rules). */
import type { OtaDb } from './ota-db.ts';
import { chooseReleaseBase, type ReleaseBase } from './release-base.ts';

/** `latest`: the fleet's newest release, from the repository (per-car releases are not the fleet's). */
export function releaseBaseFor(db: OtaDb, latest: number | undefined): ReleaseBase {
  return chooseReleaseBase(latest, db.releases(1000).map((r) => r.version), db.outcomes());
}
