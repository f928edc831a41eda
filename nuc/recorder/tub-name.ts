/** One tub per car per recording session, named so tubs sort by when they were recorded. */
import path from 'node:path';

/** `2024-05-17_10-30-05_car1` (local time, as the driver's clock reads). */
export function tubName(carId: string, start: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${start.getFullYear()}-${two(start.getMonth() + 1)}-${two(start.getDate())}`;
  const time = `${two(start.getHours())}-${two(start.getMinutes())}-${two(start.getSeconds())}`;
  return `${date}_${time}_car${carId}`;
}

/** A folder under `tubsDir` no tub uses yet: a second session in the same second gets `_2`, `_3`, … */
export async function freshTubDir(tubsDir: string, carId: string, start: Date, exists: (dir: string) => Promise<boolean>): Promise<string> {
  const base = path.join(tubsDir, tubName(carId, start));
  if (!(await exists(base))) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!(await exists(candidate))) return candidate;
  }
}
