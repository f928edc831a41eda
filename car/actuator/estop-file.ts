/**
 * The emergency stop's latch on disk, in the car's run directory: a latched estop survives an
 * actuator restart (a crash, an update, a reboot) until an authorised source clears it. The file's
 * presence is the latch; its content says when and why, for the operator.
 */
import fs from 'node:fs';
import path from 'node:path';
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

/**
 * Persists the latch before anyone hears of it: synchronous (an estop is rare, and a few ms of the
 * actuator's loop are worth it), so a crash right after the car reported "estopped" cannot come back
 * unlatched, and a quick clear and latch never land on disk in the wrong order. Written to a temporary
 * file, flushed and renamed, so a torn write never replaces a good latch.
 */
export function writeEstop(file: string, record: EstopRecord): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(record)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

export function clearEstopFile(file: string): void {
  fs.rmSync(file, { force: true });
}
