/**
 * What every command shares, so they behave alike: the configuration resolved one way (the file
 * named by `--config`, else $EDGE_CONFIG, else ./edge.yaml; then the EDGE_* environment; then the
 * flags, `--data` for the data directory), `-h`/`--help`, and the exit codes: 0 done, 1 failed,
 * 2 bad usage or a bad configuration.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type LoadedConfig } from '../runtime/index.ts';

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

/**
 * The frame every `<command> <subcommand>` CLI shares (`npm run deploy`, `npm run bus`): the usage on
 * -h/--help (exit 0) or without a subcommand (2), the configuration resolved like every command's,
 * and the exit codes: bad usage prints the message and the usage (2), a bad configuration its error
 * (2), a failure `<cli> <subcommand> failed: …` (1). `parse` is node:util's parseArgs with the CLI's options.
 */
export async function runSubcommand<V extends ConfigFlags & { help?: boolean | undefined }>(
  cli: { name: string; usage: string; io: CliIo; env: NodeJS.ProcessEnv },
  parse: () => { values: V; positionals: string[] },
  run: (subcommand: string, args: string[], values: V, config: LoadedConfig) => number | Promise<number>,
): Promise<number> {
  const { io, usage } = cli;
  let parsed;
  try {
    parsed = parse();
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [subcommand, ...rest] = positionals;
  if (values.help || !subcommand) {
    io.out(usage);
    return values.help ? 0 : 2;
  }
  let config: LoadedConfig;
  try {
    config = commandConfig(values, cli.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(error.message);
    return 2;
  }
  try {
    return await run(subcommand, rest, values, config);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${usage}`);
      return 2;
    }
    io.err(`${cli.name} ${subcommand} failed: ${(error as Error).message}`);
    return 1;
  }
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
