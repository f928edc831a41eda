/** The compositor's part of the settings the server stores for the dashboard. */
import type { ChromaKeySettings } from './keying.ts';
import { isFilterName, type FilterName } from './filters.ts';

export interface CompositorSettings {
  background: string;
  panScale: number;
  filter: FilterName;
  jpegQuality: number;
  keying?: Partial<ChromaKeySettings>;
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
