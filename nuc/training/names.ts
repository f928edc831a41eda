import path from 'node:path';

/** The job database under the data directory (shared by the training service and the server). */
export const TRAINING_DB = path.join('nuc', 'training.sqlite');

/** Tub and model names as they appear in URLs and job records: plain folder names, never paths. */
export const TUB_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const TUB_NAME = new RegExp(TUB_NAME_PATTERN);

export function isTubName(name: string): boolean {
  return TUB_NAME.test(name) && !name.includes('..');
}

/** `fast-20240517-103005-job12`: sorts by time, says what it is and which job made it. */
export function modelName(kind: string, jobId: number, at: Date): string {
  const iso = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${kind}-${iso}-job${jobId}`;
}
