/**
 * The NUC's live settings (chroma keying, panning, background, the wheel's mapping), kept in `<dataDir>/nuc/settings.json`
 * and written atomically. A missing file means defaults; a damaged section falls back to its
 * defaults with a warning instead of stopping the server. Listeners hear every change, so it can be
 * passed on to the compositor.
 */
import { readFile } from 'node:fs/promises';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ChromaKeySchema, FILTER_NAMES } from '../compositor/index.ts';
import { WheelMappingSchema, writeFileAtomic } from '../../runtime/index.ts';

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

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export type SettingsListener = <K extends SettingsName>(name: K, value: Settings[K]) => void;
export interface SettingsLog {
  warn(obj: object, msg?: string): void;
}

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

function problem(schema: TSchema, value: unknown): string | undefined {
  const first = Value.Errors(schema, value).First();
  return first ? `${first.path.slice(1) || '(root)'}: ${first.message}` : undefined;
}

/**
 * The file's layout is shared with the compositor (nuc/compositor/settings-file.ts):
 * `{keying?: {...}, panning?: {scale}, background?: "<name>", filter?: "<filter>", wheel?: {...}}`.
 * Only sections someone set are written, so the compositor's configured defaults stay in force.
 */
function sectionsFromFile(doc: Record<string, unknown>, defaults: Settings): Partial<Record<SettingsName, unknown>> {
  const sections: Partial<Record<SettingsName, unknown>> = {};
  if (doc.keying !== undefined) sections.keying = doc.keying;
  if (doc.panning !== undefined) sections.panning = doc.panning;
  if (doc.wheel !== undefined) sections.wheel = doc.wheel;
  if (doc.background !== undefined || doc.filter !== undefined) {
    sections.background = { name: doc.background ?? defaults.background.name, filter: doc.filter ?? defaults.background.filter };
  }
  return sections;
}

function fileFromSections(settings: Settings, explicit: ReadonlySet<SettingsName>): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (explicit.has('keying')) doc.keying = settings.keying;
  if (explicit.has('panning')) doc.panning = settings.panning;
  if (explicit.has('wheel')) doc.wheel = settings.wheel;
  if (explicit.has('background')) {
    doc.background = settings.background.name;
    doc.filter = settings.background.filter;
  }
  return doc;
}

export interface SettingsStoreOptions {
  /** what a section is until someone sets it, e.g. the compositor's configured background */
  defaults?: Partial<Settings>;
  log?: SettingsLog;
}

export class SettingsStore {
  private readonly listeners = new Set<SettingsListener>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private settings: Settings,
    private readonly explicit: Set<SettingsName>,
  ) {}

  static async open(file: string, options: SettingsStoreOptions = {}): Promise<SettingsStore> {
    const { log } = options;
    const settings = defaultSettings(options.defaults);
    const explicit = new Set<SettingsName>();
    let stored: unknown;
    try {
      stored = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log?.warn({ file, err: error }, 'settings file unreadable; using defaults');
    }
    if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
      const sections = sectionsFromFile(stored as Record<string, unknown>, settings);
      for (const name of SETTINGS_NAMES) {
        const section = sections[name];
        if (section === undefined) continue;
        const why = problem(SETTINGS_SCHEMAS[name], section);
        if (why) {
          log?.warn({ file, section: name, problem: why }, 'invalid settings section; using its defaults');
          continue;
        }
        (settings as Record<SettingsName, unknown>)[name] = section;
        explicit.add(name);
      }
    }
    return new SettingsStore(file, settings, explicit);
  }

  get<K extends SettingsName>(name: K): Settings[K] {
    return structuredClone(this.settings[name]);
  }

  all(): Settings {
    return structuredClone(this.settings);
  }

  /** Validates and stores a whole section; resolves once it is safely on disk. */
  async put<K extends SettingsName>(name: K, value: unknown): Promise<Settings[K]> {
    const why = problem(SETTINGS_SCHEMAS[name], value);
    if (why) throw new SettingsError(`invalid ${name} settings: ${why}`);
    const next = { ...this.settings, [name]: structuredClone(value) } as Settings;
    const explicit = new Set(this.explicit).add(name);
    // Writes are serialised so the file always holds the latest accepted settings.
    const write = this.writing.then(() => writeFileAtomic(this.file, `${JSON.stringify(fileFromSections(next, explicit), null, 2)}\n`));
    this.writing = write.catch(() => undefined);
    await write;
    this.settings = next;
    this.explicit.add(name);
    for (const listener of this.listeners) listener(name, this.get(name));
    return this.get(name);
  }

  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
