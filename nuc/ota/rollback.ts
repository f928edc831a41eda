/**
 * One car's rollback from the NUC: re-publish the release it ran before as a new, higher version
 * for that car only (cars refuse lower versions: the rollback-attack defence; the other cars keep
 * the fleet's release). Signing is the caller's: it passes a
 * publisher holding the repository and the online keys (deploy's republishRelease).
 */
import type { OtaDb, ReleaseRecord } from './ota-db.ts';

/** A rollback that cannot be done as asked (HTTP 409): no previous release, no keys, no repository. */
export class RollbackRefused extends Error {
  override name = 'RollbackRefused';
}

export interface RollbackPublisher {
  /** re-publishes release `version`'s content as the next version, for `car` only, and returns the new release */
  republish(version: number, label: string, car: string): { version: number; label: string; createdAt: string; rollbackOf?: number | undefined; manifest: unknown };
}

export interface RollbackResult {
  car: string;
  /** what the car runs now */
  from: number;
  /** the release whose content is re-published */
  rollbackOf: number;
  release: ReleaseRecord;
}

export function rollbackCar(db: OtaDb, car: string, publisher: RollbackPublisher): RollbackResult {
  const current = db.car(car)?.version;
  if (current == null) throw new RollbackRefused(`car ${car} has no recorded release to roll back from`);
  const previous = db.previousVersion(car);
  if (previous === undefined) throw new RollbackRefused(`car ${car} runs release ${current} and no release before it is recorded`);
  const published = publisher.republish(previous, `rollback of car ${car} to release ${previous}`, car);
  const release = {
    version: published.version,
    label: published.label,
    createdAt: published.createdAt,
    manifest: published.manifest,
    rollbackOf: published.rollbackOf ?? previous,
    // the same content: a model shipped on an override is still one
    override: db.release(previous)?.override ?? null,
    withdrawn: null,
  };
  db.recordRelease(release);
  return { car, from: current, rollbackOf: previous, release: { ...release, rollbackOf: release.rollbackOf } };
}
