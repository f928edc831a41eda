/**
 * The NUC's live settings as the server holds them: every section (the file's, else the defaults), each
 * change validated and safely on disk before it counts, and listeners told of every change so it can
 * be passed on to the dashboard. The file's format is nuc/settings' (read validated, written atomically).
 */
import {
  defaultSettings,
  readSettingsFile,
  settingsProblem,
  writeSettingsFile,
  type Settings,
  type SettingsLog,
  type SettingsName,
} from '../settings/index.ts';

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export type SettingsListener = <K extends SettingsName>(name: K, value: Settings[K]) => void;

export interface SettingsStoreOptions {
  /** what a section is until someone sets it, e.g. the compositor's configured background */
  defaults?: Partial<Settings>;
  log?: SettingsLog;
}

/** Only the sections someone set, so the configured values stay in force for the others. */
function explicitSections(settings: Settings, explicit: ReadonlySet<SettingsName>): Partial<Settings> {
  return Object.fromEntries([...explicit].map((name) => [name, settings[name]])) as Partial<Settings>;
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
    const defaults = defaultSettings(options.defaults);
    const stored = await readSettingsFile(file, defaults, options.log);
    return new SettingsStore(file, { ...defaults, ...stored }, new Set(Object.keys(stored) as SettingsName[]));
  }

  get<K extends SettingsName>(name: K): Settings[K] {
    return structuredClone(this.settings[name]);
  }

  all(): Settings {
    return structuredClone(this.settings);
  }

  /** Validates and stores a whole section; resolves once it is safely on disk. */
  async put<K extends SettingsName>(name: K, value: unknown): Promise<Settings[K]> {
    const why = settingsProblem(name, value);
    if (why) throw new SettingsError(`invalid ${name} settings: ${why}`);
    const next = { ...this.settings, [name]: structuredClone(value) } as Settings;
    const explicit = new Set(this.explicit).add(name);
    // Writes are serialised so the file always holds the latest accepted settings.
    const write = this.writing.then(() => writeSettingsFile(this.file, explicitSections(next, explicit)));
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
