/**
 * Reads the configuration file, applies environment overrides, then command-line flags, then
 * defaults, and validates the result. Every failure is a ConfigError naming where the bad value came
 * from (the file, the variable or the flag), the field and the reason, so start-up stops with
 * something a person can fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { MAX_HEADER_BYTES, socketMessageLimit, subscriberQueueLimit } from '../protocol/index.ts';
import { MIN_TOKEN_LENGTH, PlatformConfigSchema, type PlatformConfig } from './config-schema.ts';

export class ConfigError extends Error {
  constructor(
    /** where the bad value came from: a file path or an environment variable */
    readonly source: string,
    /** the field, as a path such as `car.actuator.failsafeMs` */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`configuration error in ${source}: ${field || '(root)'}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables that override one field each (ports and the data directory, mostly). */
export const ENV_OVERRIDES = {
  EDGE_DATA_DIR: { field: 'dataDir', type: 'string' },
  EDGE_HTTP_PORT: { field: 'nuc.httpPort', type: 'integer' },
  EDGE_BUS_PUB_PORT: { field: 'nuc.busPublishersPort', type: 'integer' },
  EDGE_BUS_SUB_PORT: { field: 'nuc.busSubscribersPort', type: 'integer' },
  EDGE_NUC_HOST: { field: 'nuc.host', type: 'string' },
  EDGE_LOG_LEVEL: { field: 'log.level', type: 'string' },
  EDGE_TOKEN: { field: 'nuc.token', type: 'string' },
  EDGE_BUS_SECURITY: { field: 'bus.security', type: 'string' },
  /** comma-separated car ids: `npm start -- --id 7` tells the NUC's services which cars it runs */
  EDGE_CARS: { field: 'launcher.cars', type: 'list' },
} as const;

/** The file read when no --config or EDGE_CONFIG names one; optional. */
export const DEFAULT_CONFIG_FILE = 'edge.yaml';

/** A command-line flag that sets one field, e.g. `--data` for `dataDir`; it wins over the file and the environment. */
export interface FlagOverride {
  flag: string;
  field: string;
  value: unknown;
}

export interface LoadOptions {
  /** a YAML or JSON file; when absent, EDGE_CONFIG, then ./edge.yaml if it exists, then defaults */
  file?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  flags?: readonly FlagOverride[];
}

export type LoadedConfig = PlatformConfig & { source: string };

function readFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, '', `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const [first] = doc.errors;
  if (first) {
    const where = first.linePos?.[0] ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
    throw new ConfigError(file, where, `not valid YAML/JSON: ${first.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(file, '', 'must be a mapping of sections');
  return value;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Sets the fields the environment overrides; returns which variable set which field. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const setBy = new Map<string, string>();
  for (const [name, { field, type }] of Object.entries(ENV_OVERRIDES)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    if (type === 'integer') {
      if (!/^\d+$/.test(text.trim())) throw new ConfigError(name, field, `must be a whole number, got ${JSON.stringify(text)}`);
      setPath(raw, field, Number(text));
    } else if (type === 'list') {
      setPath(
        raw,
        field,
        text.split(',').map((item) => item.trim()).filter((item) => item !== ''),
      );
    } else {
      setPath(raw, field, text);
    }
    setBy.set(field, name);
  }
  return setBy;
}

function fieldName(pointer: string): string {
  return pointer.replace(/^\//, '').replaceAll('/', '.');
}

/**
 * Validates an already-parsed object (defaults applied first); `source` names it in errors, or the
 * variable or flag that set the bad field (`setBy`).
 */
export function validateConfig(raw: unknown, source: string, setBy: ReadonlyMap<string, string> = new Map()): PlatformConfig {
  const withDefaults = Value.Default(PlatformConfigSchema, Value.Clone(raw));
  const first = Value.Errors(PlatformConfigSchema, withDefaults).First();
  if (first) {
    const field = fieldName(first.path);
    const reason =
      first.message === 'Unexpected property' ? 'unknown field (check the spelling against the configuration reference)' : first.message;
    throw new ConfigError(setBy.get(field) ?? source, field, reason);
  }
  const config = withDefaults as PlatformConfig;
  const sourceOf = (field: string): string => setBy.get(field) ?? source;
  checkProxyQueue(config, sourceOf);
  const { token } = config.nuc;
  if (token !== '' && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(sourceOf('nuc.token'), 'nuc.token', `must be at least ${MIN_TOKEN_LENGTH} characters, got ${token.length} (or leave it empty: one is generated and printed at start)`);
  }
  const { battery, i2c } = config.car;
  if (battery.enabled && battery.address === i2c.address) {
    throw new ConfigError(sourceOf('car.battery.address'), 'car.battery.address', `0x${battery.address.toString(16)} is the PCA9685's address (car.i2c.address): set the INA219's A0/A1 jumpers to another one (0x41 with A0 bridged)`);
  }
  if ((config.nuc.tls.cert === '') !== (config.nuc.tls.key === '')) {
    throw new ConfigError(source, 'nuc.tls', 'needs both cert and key (PEM files), or neither for plain HTTP');
  }
  return config;
}

/** The NUC proxy's per-subscriber queue in bytes must hold a few messages of the largest size the bus carries. */
function checkProxyQueue(config: PlatformConfig, sourceOf: (field: string) => string): void {
  const largest = socketMessageLimit({ maxPayloadBytes: config.bus.maxPayloadBytes, maxHeaderBytes: MAX_HEADER_BYTES });
  const { proxyQueueMessages: messages, proxyQueueBytes: bytes } = config.bus;
  if (subscriberQueueLimit({ messages, bytes }, largest) === undefined) {
    throw new ConfigError(sourceOf('bus.proxyQueueBytes'), 'bus.proxyQueueBytes', `${bytes} bytes hold fewer than 8 messages of bus.maxPayloadBytes plus header room (${largest} bytes each): raise it or lower bus.maxPayloadBytes`);
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let file = options.file ?? env.EDGE_CONFIG;
  if (!file && fs.existsSync(path.join(cwd, DEFAULT_CONFIG_FILE))) file = DEFAULT_CONFIG_FILE;
  const resolved = file ? path.resolve(cwd, file) : undefined;
  const raw = (resolved ? readFile(resolved) : {}) as Record<string, unknown>;
  const source = resolved ?? 'built-in defaults';
  const setBy = applyEnv(raw, env);
  for (const { flag, field, value } of options.flags ?? []) {
    setPath(raw, field, value);
    setBy.set(field, flag);
  }
  const config = validateConfig(raw, source, setBy);
  config.dataDir = path.resolve(cwd, config.dataDir);
  if (config.bus.keysDir) config.bus.keysDir = path.resolve(cwd, config.bus.keysDir);
  if (config.bus.clientKeys) config.bus.clientKeys = path.resolve(cwd, config.bus.clientKeys);
  return { ...config, source };
}
