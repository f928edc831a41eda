/**
 * Following the allow-list while the proxy runs: `npm run bus -- pair | unpair` replaces the file
 * atomically, so its directory is watched (a rename is seen at once), with a slow poll in case the
 * watch misses an event. A file that does not parse is logged and the previous list stays in force.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AllowListEntry } from './allow-list.ts';
import type { BusKeyStore } from './key-store.ts';

export interface AllowListWatchLogger {
  error(obj: object, msg?: string): void;
}

const POLL_MS = 500;

/** Calls `changed` with the entries after every change of the file; returns a function that stops watching. */
export function watchAllowList(store: BusKeyStore, log: AllowListWatchLogger, changed: (entries: AllowListEntry[]) => void): () => void {
  const file = store.allowListFile;
  /** the file's text; '' once it is deleted (no one is paired), undefined while it cannot be read */
  const read = (): string | undefined => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? '' : undefined;
    }
  };
  let last = read();
  const check = (): void => {
    const text = read();
    if (text === undefined || text === last) return;
    last = text;
    let entries: AllowListEntry[];
    try {
      entries = store.entries();
    } catch (error) {
      log.error({ err: error, file }, 'the allow-list does not parse; the previous one stays in force');
      return;
    }
    changed(entries);
  };
  const watcher = fs.watch(path.dirname(file), (_event, name) => {
    if (name === path.basename(file)) check();
  });
  const poll = setInterval(check, POLL_MS);
  poll.unref();
  return () => {
    watcher.close();
    clearInterval(poll);
  };
}
