/**
 * Which release a new one builds on. A release the fleet rolled back from is withdrawn: building
 * the next release on it would re-ship what just failed (a model shipped after a crashing pilot
 * would carry that pilot again), so the next one takes the rest of the car from the newest release
 * cars ran healthily instead. Pure: decided from the rollout history alone.
 */
import type { RolloutEvent } from './rollout-event.ts';

/**
 * By each car's last attempt on the release: healthy when some car installed it and none's last
 * attempt failed; withdrawn when cars failed or rolled back and none installed it since.
 */
export type ReleaseHealth = { state: 'healthy' } | { state: 'withdrawn'; reason: string } | { state: 'unproven' };

type Outcome = Pick<RolloutEvent, 'car' | 'to' | 'outcome' | 'error'>;

/** A release's health from the recorded attempts (oldest first; a car that retried counts its last). */
export function releaseHealth(version: number, events: readonly Outcome[]): ReleaseHealth {
  const lastByCar = new Map<string, Outcome>();
  for (const event of events) if (event.to === version) lastByCar.set(event.car, event);
  const last = [...lastByCar.values()];
  const failures = last.filter((e) => e.outcome !== 'installed');
  const installed = last.length > failures.length;
  if (failures.length === 0) return installed ? { state: 'healthy' } : { state: 'unproven' };
  if (installed) return { state: 'unproven' }; // failed on some cars, runs on others: the operator's call
  const cars = failures.map((e) => e.car).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const error = failures.find((e) => e.error)?.error;
  const verb = failures.some((e) => e.outcome === 'rolled-back') ? 'rolled back' : 'failed';
  return { state: 'withdrawn', reason: `${verb} on car${cars.length > 1 ? 's' : ''} ${cars.join(', ')}${error ? `: ${error}` : ''}` };
}

export interface ReleaseBase {
  /** the release whose services and model the new one carries over; null: none (only what it ships) */
  version: number | null;
  /** the withdrawn releases it leaves out, newest first, with why */
  skipped: { version: number; reason: string }[];
}

/**
 * `latest` is the fleet's newest release; `versions` every release published. Unless `latest` was
 * withdrawn the new release builds on it, as always. Otherwise on the newest older release cars ran
 * healthily, else the newest older one not withdrawn, else on nothing.
 */
export function chooseReleaseBase(latest: number | undefined, versions: readonly number[], events: readonly Outcome[]): ReleaseBase {
  if (latest === undefined) return { version: null, skipped: [] };
  const latestHealth = releaseHealth(latest, events);
  if (latestHealth.state !== 'withdrawn') return { version: latest, skipped: [] };
  const older = [...new Set(versions)].filter((v) => v < latest).sort((a, b) => b - a);
  const health = new Map(older.map((v) => [v, releaseHealth(v, events)]));
  const base = older.find((v) => health.get(v)!.state === 'healthy') ?? older.find((v) => health.get(v)!.state !== 'withdrawn') ?? null;
  const skipped = [{ version: latest, reason: latestHealth.reason }];
  for (const v of older) {
    const h = health.get(v)!;
    if (base !== null && v <= base) break;
    if (h.state === 'withdrawn') skipped.push({ version: v, reason: h.reason });
  }
  return { version: base, skipped };
}
