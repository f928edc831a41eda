/**
 * The emergency stop's latch on disk, in the car's run directory: a latched estop survives an
 * actuator restart (a crash, an update, a reboot) until an authorised source clears it. The file's
 * presence is the latch; its content says when and why, for the operator.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../runtime/index.ts';
import { readTextIfExists } from './read-if-exists.ts';

export function estopFile(runDir: string): string {
  return path.join(runDir, 'estop.json');
}

export interface EstopRecord {
  /** wall clock, ms */
  latchedAt: number;
  reason: string;
}

/** The latch a previous actuator left, or undefined when none. Unreadable content still counts as latched. */
export async function readEstop(file: string): Promise<EstopRecord | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<EstopRecord>;
    return { latchedAt: typeof record.latchedAt === 'number' ? record.latchedAt : 0, reason: typeof record.reason === 'string' ? record.reason : 'unknown' };
  } catch {
    // a torn write is still a latch: safety errs towards stopped
    return { latchedAt: 0, reason: 'unreadable latch file' };
  }
}

export function writeEstop(file: string, record: EstopRecord): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(record)}\n`);
}

export function clearEstopFile(file: string): Promise<void> {
  return fs.rm(file, { force: true });
}
