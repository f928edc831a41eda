/**
 * The NUC's live settings file, `<dataDir>/nuc/settings.json`: what the dashboard changes while the
 * platform runs (chroma keying, panning, the background and its filter, the wheel's mapping). The
 * server writes it; the compositor and the wheel service follow it. This module is its one owner: the
 * sections and their schemas, reading them validated, and writing them atomically.
 *
 * Layout: `{keying?: {...}, panning?: {scale}, background?: "<name>", filter?: "<filter>", wheel?: {...}}`.
 * Only sections someone set are written, so the configured values stay in force for the others.
 */
import { readFile } from 'node:fs/promises';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { WheelMappingSchema, writeFileAtomic, type PlatformConfig } from '../../runtime/index.ts';
import { ChromaKeySchema, FILTER_NAMES } from './look.ts';
import { watchSettingsFile, type SettingsWatchLogger } from './watch-file.ts';

/** Our own schemas: the compositor library exports none for panning and the background choice. */
export const PanningSchema = Type.Object(
  { scale: Type.Number({ minimum: 0, maximum: 200, default: 6, description: 'background pixels moved per frame at full steering lock' }) },
  { additionalProperties: false },
);

export const BackgroundChoiceSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', default: 'mountains', description: 'a background from the library' }),
    filter: Type.Union(
      FILTER_NAMES.map((f) => Type.Literal(f)),
      { default: 'none', description: 'a colour filter applied to the driver\'s view' },
    ),
  },
  { additionalProperties: false },
);

export const SETTINGS_SCHEMAS = {
  keying: ChromaKeySchema,
  panning: PanningSchema,
  background: BackgroundChoiceSchema,
  /** the race wheel's steering and throttle curves and buttons, applied live by the wheel service */
  wheel: WheelMappingSchema,
} as const;
export type SettingsName = keyof typeof SETTINGS_SCHEMAS;
export const SETTINGS_NAMES = Object.keys(SETTINGS_SCHEMAS) as SettingsName[];
export type Settings = { [K in SettingsName]: Static<(typeof SETTINGS_SCHEMAS)[K]> };

export type SettingsLog = SettingsWatchLogger;

/** Every field at its default (Value.Create would stop at an object's own `default: {}`). */
function defaultsOf<T extends TSchema>(schema: T): Static<T> {
  return Value.Default(schema, {}) as Static<T>;
}

export function defaultSettings(overrides: Partial<Settings> = {}): Settings {
  const defaults: Settings = {
    keying: defaultsOf(ChromaKeySchema),
    panning: defaultsOf(PanningSchema),
    background: defaultsOf(BackgroundChoiceSchema),
    wheel: defaultsOf(WheelMappingSchema),
  };
  return { ...defaults, ...structuredClone(overrides) };
}

/** What the configuration says a section is until someone sets it: the same for every reader of the file. */
export function configuredSettings(config: PlatformConfig): Settings {
  const { compositor } = config.nuc;
  return defaultSettings({
    panning: { scale: compositor.panScale },
    background: { name: compositor.background, filter: compositor.filter },
    wheel: config.wheel.mapping,
  });
}

/** Why `value` is not a valid `name` section ("field: reason"), or undefined when it is. */
export function settingsProblem(name: SettingsName, value: unknown): string | undefined {
  const first = Value.Errors(SETTINGS_SCHEMAS[name], value).First();
  return first ? `${first.path.slice(1) || '(root)'}: ${first.message}` : undefined;
}

export interface SectionProblem {
  section: SettingsName;
  problem: string;
}

export interface SettingsRead {
  /** the sections the document sets validly */
  sections: Partial<Settings>;
  /** the sections it sets that fail their schema (left out of `sections`) */
  invalid: SectionProblem[];
}

/** The sections of a parsed file; a background given only by name or only by filter takes the other from `defaults`. */
export function settingsFromDocument(document: unknown, defaults: Settings): SettingsRead {
  const read: SettingsRead = { sections: {}, invalid: [] };
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return read;
  const doc = document as Record<string, unknown>;
  const raw: Partial<Record<SettingsName, unknown>> = {};
  if (doc.keying !== undefined) raw.keying = doc.keying;
  if (doc.panning !== undefined) raw.panning = doc.panning;
  if (doc.wheel !== undefined) raw.wheel = doc.wheel;
  if (doc.background !== undefined || doc.filter !== undefined) {
    raw.background = { name: doc.background ?? defaults.background.name, filter: doc.filter ?? defaults.background.filter };
  }
  for (const name of SETTINGS_NAMES) {
    const section = raw[name];
    if (section === undefined) continue;
    const problem = settingsProblem(name, section);
    if (problem) read.invalid.push({ section: name, problem });
    else (read.sections as Record<SettingsName, unknown>)[name] = section;
  }
  return read;
}

function documentFromSettings(sections: Partial<Settings>): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (sections.keying) doc.keying = sections.keying;
  if (sections.panning) doc.panning = sections.panning;
  if (sections.wheel) doc.wheel = sections.wheel;
  if (sections.background) {
    doc.background = sections.background.name;
    doc.filter = sections.background.filter;
  }
  return doc;
}

/**
 * The file's valid sections. A missing file sets none; an unreadable one (or not JSON) sets none and a
 * damaged section is left out, each with a warning, so the defaults apply instead of stopping a service.
 */
export async function readSettingsFile(file: string, defaults: Settings, log?: SettingsLog): Promise<Partial<Settings>> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn({ file, err: error }, 'settings file unreadable; using defaults');
    return {};
  }
  const { sections, invalid } = settingsFromDocument(document, defaults);
  for (const { section, problem } of invalid) log?.warn({ file, section, problem }, 'invalid settings section; using its defaults');
  return sections;
}

/** Replaces the file, atomically, with exactly these sections. */
export async function writeSettingsFile(file: string, sections: Partial<Settings>): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(documentFromSettings(sections), null, 2)}\n`);
}

/** Follows the file: `apply` gets its valid sections now (if it exists) and after every change. */
export function watchSettings(
  file: string,
  log: SettingsLog,
  defaults: Settings,
  apply: (sections: Partial<Settings>) => void | Promise<void>,
): () => void {
  return watchSettingsFile(file, log, (document) => {
    const { sections, invalid } = settingsFromDocument(document, defaults);
    for (const { section, problem } of invalid) log.warn({ file, section, problem }, 'invalid settings section; keeping the current value');
    return apply(sections);
  });
}
