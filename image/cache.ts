/**
 * The build's cache: each intermediate (root file system, Node, native addons) lives in a folder
 * named by the hash of its inputs, built in a temporary folder and renamed into place when complete,
 * so an interrupted build never leaves a half tree that a later build would trust. Two builds that
 * need the same folder at once (a prebuild in the background and a test, two test files) make it
 * once: the second waits on the first's lock file and takes over only when its owner is gone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const COMPLETE = '.complete';
const LOCK_POLL_MS = 2000;

export function inputsHash(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** The cached folder for `key`, made by `make(tempDir)` unless it is already complete. */
export async function cachedDir(cacheRoot: string, key: string, make: (dir: string) => Promise<void>, onWait: (owner: number) => void = () => undefined): Promise<{ dir: string; hit: boolean }> {
  const dir = path.join(cacheRoot, key);
  if (fs.existsSync(path.join(dir, COMPLETE))) return { dir, hit: true };
  fs.mkdirSync(cacheRoot, { recursive: true });
  const lock = `${dir}.lock`;
  let told = false;
  while (!takeLock(lock)) {
    const owner = lockOwner(lock);
    if (owner !== undefined && !told) onWait(owner);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    if (fs.existsSync(path.join(dir, COMPLETE))) return { dir, hit: true };
  }
  try {
    return await makeLocked(cacheRoot, key, dir, make);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Creates the lock with this process's pid; a lock whose process is gone is stale and taken over. */
function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = lockOwner(lock);
    if (owner !== undefined && processAlive(owner)) return false;
    fs.rmSync(lock, { force: true }); // stale: its build was killed; another waiter may still be quicker
  }
  return false;
}

function lockOwner(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function makeLocked(cacheRoot: string, key: string, dir: string, make: (dir: string) => Promise<void>): Promise<{ dir: string; hit: boolean }> {
  if (fs.existsSync(path.join(dir, COMPLETE))) return { dir, hit: true };
  fs.rmSync(dir, { recursive: true, force: true });
  const temp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(temp, { recursive: true });
  try {
    await make(temp);
    fs.writeFileSync(path.join(temp, COMPLETE), `${new Date().toISOString()}\n`);
    fs.renameSync(temp, dir);
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
  pruneSiblings(cacheRoot, key);
  return { dir, hit: false };
}

/** Keeps the newest two entries of a cache folder besides the one just made (root trees are ~1 GB). */
function pruneSiblings(cacheRoot: string, keep: string): void {
  const prefix = keep.split('-')[0];
  const others = fs
    .readdirSync(cacheRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== keep && e.name.startsWith(`${prefix}-`) && !e.name.includes('.tmp-'))
    .map((e) => ({ name: e.name, mtime: fs.statSync(path.join(cacheRoot, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of others.slice(1)) fs.rmSync(path.join(cacheRoot, old.name), { recursive: true, force: true });
}
