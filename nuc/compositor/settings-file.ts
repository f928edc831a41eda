/** The compositor's part of the NUC settings (nuc/settings reads and validates the file), in the compositor's own terms. */
import type { Settings } from '../settings/index.ts';
import type { ChromaKeySettings } from './keying.ts';
import type { FilterName } from './filters.ts';

export interface CompositorSettings {
  background: string;
  panScale: number;
  filter: FilterName;
  jpegQuality: number;
  keying?: Partial<ChromaKeySettings>;
}

/** What the sections set change for the compositor; the wheel's section is not its business. */
export function compositorSettings(sections: Partial<Settings>): Partial<CompositorSettings> {
  const out: Partial<CompositorSettings> = {};
  if (sections.keying) out.keying = sections.keying;
  if (sections.panning) out.panScale = sections.panning.scale;
  if (sections.background) {
    out.background = sections.background.name;
    out.filter = sections.background.filter;
  }
  return out;
}
