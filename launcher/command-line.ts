/**
 * What every command shares, so they behave alike: the configuration resolved one way (the file
 * named by `--config`, else $EDGE_CONFIG, else ./edge.yaml; then the EDGE_* environment; then the
 * flags, `--data` for the data directory), `-h`/`--help`, and the exit codes: 0 done, 1 failed,
 * 2 bad usage or a bad configuration.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { loadConfig, type LoadedConfig } from '../runtime/index.ts';

/** Where a CLI writes: stdout and stderr lines (tests collect them). */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** A mistake in how a command was called: the message, then the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The flags every command takes, in node:util parseArgs form. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The usage lines of the common flags. */
export const OPTION_USAGE = {
  config: '  --config <file>  the configuration (default: $EDGE_CONFIG, else ./edge.yaml if present, else the built-in defaults)',
  data: "  --data <dir>     the data directory, instead of the configuration's dataDir or $EDGE_DATA_DIR",
  help: '  -h, --help       this help',
} as const;

export const COMMON_USAGE = [OPTION_USAGE.config, OPTION_USAGE.data, OPTION_USAGE.help].join('\n');

export interface ConfigFlags {
  config?: string | undefined;
  data?: string | undefined;
}

/** The configuration a command runs with; a ConfigError names the file, variable or flag that is wrong. */
export function commandConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfig({
    ...(flags.config === undefined ? {} : { file: flags.config }),
    env,
    flags: flags.data === undefined ? [] : [{ flag: '--data', field: 'dataDir', value: flags.data }],
  });
}

/** For commands with their own argument parser: whether the user asked for the usage. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** True when this module is the script node was started with (a command run, not imported by a test). */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
