/** The NUC's live settings file: its sections and schemas, validated reading, atomic writing, following changes. */
export { settingsFilePath } from './watch-file.ts';
export {
  SETTINGS_NAMES,
  SETTINGS_SCHEMAS,
  configuredSettings,
  defaultSettings,
  readSettingsFile,
  settingsProblem,
  watchSettings,
  writeSettingsFile,
} from './settings-file.ts';
export type { Settings, SettingsLog, SettingsName } from './settings-file.ts';
export { ChromaKeySchema, FILTER_NAMES } from './look.ts';
export type { ChromaKeySettings, FilterName } from './look.ts';
