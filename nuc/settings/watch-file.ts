/**
 * NUC services follow the settings the server stores for the dashboard (`<dataDir>/nuc/settings.json`),
 * so a change made on the driver's screen reaches running processes without a restart. The server
 * replaces the file atomically, so the directory is watched, not the file.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SettingsWatchLogger {
  warn(obj: object, msg?: string): void;
}

export function settingsFilePath(dataDir: string): string {
  return path.join(dataDir, 'nuc', 'settings.json');
}

/** Calls `apply` with the parsed document now (if the file exists) and after every change. */
export function watchSettingsFile(file: string, log: SettingsWatchLogger, apply: (document: unknown) => void | Promise<void>): () => void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  let last = '';
  const read = (): void => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return; // not written yet: the configured settings stay
    }
    if (text === last) return;
    last = text;
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      log.warn({ err: error, file }, 'settings file is not valid JSON; keeping the current settings');
      return;
    }
    Promise.resolve()
      .then(() => apply(document))
      .catch((error) => log.warn({ err: error, file }, 'settings not applied'));
  };
  read();
  const watcher = fs.watch(dir, (_event, name) => {
    if (name === path.basename(file)) read();
  });
  return () => watcher.close();
}
