/**
 * The build's cache: each intermediate (root file system, Node, native addons) lives in a folder
 * named by the hash of its inputs, built in a temporary folder and renamed into place when complete,
 * so an interrupted build never leaves a half tree that a later build would trust.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const COMPLETE = '.complete';

export function inputsHash(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}

/** The cached folder for `key`, made by `make(tempDir)` unless it is already complete. */
export async function cachedDir(cacheRoot: string, key: string, make: (dir: string) => Promise<void>): Promise<{ dir: string; hit: boolean }> {
  const dir = path.join(cacheRoot, key);
  if (fs.existsSync(path.join(dir, COMPLETE))) return { dir, hit: true };
  fs.mkdirSync(cacheRoot, { recursive: true });
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
