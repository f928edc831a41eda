/**
 * The compositor follows the settings the server stores for the dashboard
 * (`<dataDir>/nuc/settings.json`), so a slider moved on the driver's screen reaches running
 * compositors without a restart. The file is replaced atomically, so the directory is watched.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChromaKeySettings } from './keying.ts';
import { isFilterName, type FilterName } from './filters.ts';

export interface CompositorSettings {
  background: string;
  panScale: number;
  filter: FilterName;
  jpegQuality: number;
  keying?: Partial<ChromaKeySettings>;
}

interface Logger {
  warn(obj: object, msg?: string): void;
}

/** The compositor's part of the settings file; fields it does not know are ignored. */
export function parseSettings(raw: unknown): Partial<CompositorSettings> {
  if (typeof raw !== 'object' || raw === null) return {};
  const doc = raw as Record<string, unknown>;
  const out: Partial<CompositorSettings> = {};
  if (typeof doc.keying === 'object' && doc.keying !== null) out.keying = doc.keying as Partial<ChromaKeySettings>;
  const panning = doc.panning as { scale?: unknown } | undefined;
  if (typeof panning?.scale === 'number') out.panScale = panning.scale;
  if (typeof doc.background === 'string') out.background = doc.background;
  if (typeof doc.filter === 'string' && isFilterName(doc.filter)) out.filter = doc.filter;
  return out;
}

export function watchSettings(
  file: string,
  log: Logger,
  apply: (update: Partial<CompositorSettings>) => Promise<void>,
): () => void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  let last = '';
  const read = (): void => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return; // not written yet: built-in settings stay
    }
    if (text === last) return;
    last = text;
    try {
      void apply(parseSettings(JSON.parse(text))).catch((error) => log.warn({ err: error, file }, 'settings not applied'));
    } catch (error) {
      log.warn({ err: error, file }, 'settings file is not valid JSON; keeping the current settings');
    }
  };
  read();
  const watcher = fs.watch(dir, (_event, name) => {
    if (name === path.basename(file)) read();
  });
  return () => watcher.close();
}
