export { settingsFilePath, watchSettingsFile } from './watch-file.ts';
export type { SettingsWatchLogger } from './watch-file.ts';
