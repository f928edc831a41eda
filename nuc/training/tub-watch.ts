/**
 * Spotting a finished recording session: a tub folder nobody has written to for a while, whose car
 * no longer reports `recording`. Pure decisions here; the directory scan is `scanTubs`.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface TubActivity {
  name: string;
  /** newest modification time of the tub's manifests (each record rewrites them), ms */
  changedAtMs: number;
}

export interface CloseRule {
  nowMs: number;
  /** quiet this long before a tub counts as closed */
  quietMs: number;
  /** cars reporting `recording: true` right now */
  recordingCars: ReadonlySet<string>;
  alreadySeen: (name: string) => boolean;
}

/** Whether a tub name is one the recorder made for this car (`<date>_<time>_car<id>` or `…_<n>`). */
export function tubIsOfCar(name: string, carId: string): boolean {
  const escaped = carId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`_car${escaped}(?:_\\d+)?$`).test(name);
}

/** The tubs that have just closed: not seen before, quiet long enough, and not being recorded. */
export function newlyClosedTubs(tubs: readonly TubActivity[], rule: CloseRule): string[] {
  return tubs
    .filter((tub) => !rule.alreadySeen(tub.name))
    .filter((tub) => rule.nowMs - tub.changedAtMs >= rule.quietMs)
    .filter((tub) => ![...rule.recordingCars].some((car) => tubIsOfCar(tub.name, car)))
    .map((tub) => tub.name)
    .sort();
}

/** Tub folders (holding a manifest.json) directly under `tubsDir`, with when they last changed. */
export async function scanTubs(tubsDir: string): Promise<TubActivity[]> {
  const entries = await readdir(tubsDir, { withFileTypes: true }).catch(() => []);
  const found: TubActivity[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(tubsDir, entry.name);
    const files = await readdir(dir).catch(() => [] as string[]);
    if (!files.includes('manifest.json')) continue;
    const manifests = files.filter((f) => f === 'manifest.json' || f.endsWith('.catalog_manifest'));
    const times = await Promise.all(manifests.map((f) => stat(path.join(dir, f)).then((s) => s.mtimeMs, () => 0)));
    found.push({ name: entry.name, changedAtMs: Math.max(0, ...times) });
  }
  return found;
}
