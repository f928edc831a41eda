/**
 * `npm start`: the NUC services and the configured simulated cars, each service its own process.
 * `--only nuc` runs just the NUC, `--only car --id 7` just one car.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchedCarServices, nodeFlagsOf } from '../car/index.ts';
import { NUC_SERVICES } from '../nuc/index.ts';
import { BusKeyStore } from '../nuc/pairing/index.ts';
import { busKeysDir, ConfigError, createLogger, type LoadedConfig } from '../runtime/index.ts';
import { checkNucKeys, clientKeysFor, SECURITY_OFF_WARNING, serviceIdentity } from './bus-keys.ts';
import { CAR_ENV, CAR_NODE_FLAGS, ensureCarBundle } from './car-bundle.ts';
import { COMMON_OPTIONS, COMMON_USAGE, commandConfig } from './command-line.ts';
import { Supervisor, type ProcessSpec } from './supervisor.ts';

export const USAGE = `usage: npm start -- [--only nuc|car] [--id <car>]... [--config <file>] [--data <dir>]
       npm run nuc          (the same as --only nuc)
       npm run car -- --id <car>

Runs the NUC's services and the simulated cars, each service its own process, restarted when it
crashes; prints the dashboard's address and the control token; Ctrl-C stops everything.

  --only nuc|car   only the NUC's services, or only the cars'
  --id <car>       a car to run, repeatable (default: the configuration's launcher.cars)
${COMMON_USAGE}`;

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVICE_ENTRY = path.join(here, 'run-service.ts');
const ROOT = path.resolve(here, '..');

/** The newest modification time under a directory (0 when it does not exist). */
function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `npm start` builds the dashboard when it has no build or its sources changed since (a `git pull`),
 * so a fresh clone needs no extra step and an updated one never serves yesterday's pages.
 */
function ensureDashboardBuilt(log: { info(msg: string): void; error(msg: string): void }): void {
  const dashboard = path.join(ROOT, 'dashboard');
  const source = path.join(dashboard, 'index.html');
  const built = path.join(dashboard, 'dist', 'index.html');
  if (!fs.existsSync(source)) return;
  const sourcesChanged = () => Math.max(newestMtime(path.join(dashboard, 'src')), fs.statSync(source).mtimeMs) > fs.statSync(built).mtimeMs;
  if (fs.existsSync(built) && !sourcesChanged()) return;
  log.info(fs.existsSync(built) ? 'rebuilding the dashboard (its sources changed)…' : 'building the dashboard (first start)…');
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'dashboard/vite.config.ts'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) log.error('dashboard build failed; the API still runs (try `npm run build`)');
}

/**
 * Pairs this run's own NUC services and simulated cars before any starts (the first start makes the
 * NUC's key pair), so `npm start` needs no pairing step; a bad key stops it here with the reason.
 */
function pairOwnClients(config: LoadedConfig, nucServices: readonly string[], cars: readonly string[], log: { warn(msg: string): void }): void {
  if (nucServices.length > 0) checkNucKeys(config);
  for (const service of nucServices) clientKeysFor(config, serviceIdentity('nuc', service, undefined));
  if (cars.length > 0 && !config.bus.clientKeys && nucServices.length === 0 && !new BusKeyStore(busKeysDir(config)).hasNucKeys()) {
    log.warn(`bus.clientKeys is not set: the cars are paired with NUC keys made on this machine (${busKeysDir(config)}); a car on another host needs the keys \`npm run bus -- pair\` writes on the NUC`);
  }
  for (const car of cars) clientKeysFor(config, serviceIdentity('car', 'uplink', car));
}

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** The runner and node flags for the car's services: the bundle under plain node, unless configured to run the sources. */
async function carRuntime(runtime: 'bundle' | 'source', log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void }): Promise<{ modulePath: string; execArgv: string[]; env: Record<string, string> }> {
  const source = { modulePath: SERVICE_ENTRY, execArgv: ['--import', 'tsx'], env: {} };
  if (runtime === 'source') return source;
  try {
    const started = Date.now();
    const bundle = await ensureCarBundle(ROOT);
    if (bundle.built) log.info({ runner: bundle.runner, ms: Date.now() - started }, 'built the car services bundle');
    return { modulePath: bundle.runner, execArgv: [...CAR_NODE_FLAGS], env: { ...CAR_ENV } };
  } catch (error) {
    log.error({ err: (error as Error).message }, 'cannot build the car services bundle; running them from the sources');
    return source;
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { ...COMMON_OPTIONS, only: { type: 'string' }, id: { type: 'string', multiple: true } } }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.only !== undefined && values.only !== 'nuc' && values.only !== 'car') usageError(`--only must be 'nuc' or 'car', got '${values.only}'`);
  let config;
  try {
    config = commandConfig(values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const log = createLogger(config.log.level, { service: 'launcher' });
  if (values.only !== 'car') ensureDashboardBuilt(log);
  const configArgs = values.config ? ['--config', path.resolve(values.config)] : [];
  // One token for every service of this run: generated unless configured, and shown to the operator.
  const token = config.nuc.token || crypto.randomBytes(12).toString('base64url');
  // --data reaches every service, and the services the car's agent starts, through the environment
  const env = {
    ...process.env,
    EDGE_TOKEN: token,
    ...(values.data === undefined ? {} : { EDGE_DATA_DIR: config.dataDir }),
    // the NUC keeps state only for cars it knows: the ones run here are among them
    ...(values.id?.length ? { EDGE_CARS: values.id.join(',') } : {}),
    // with HTTPS, this run's cars trust the NUC's certificate (a self-signed one is its own CA)
    ...(config.nuc.tls.cert ? { NODE_EXTRA_CA_CERTS: path.resolve(config.nuc.tls.cert) } : {}),
  };
  // The NUC's services run TypeScript through tsx's loader in the same process (no extra wrapper process).
  const execArgv = ['--import', 'tsx'];

  const nucServices = values.only === 'car' ? [] : NUC_SERVICES.filter((e) => e.enabled?.(config) ?? true);
  const cars = values.only === 'nuc' ? [] : values.id?.length ? values.id : config.launcher.cars;
  if (config.bus.security === 'none') log.warn(SECURITY_OFF_WARNING);
  else {
    try {
      pairOwnClients(config, nucServices.map((e) => e.name), cars, log);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
  }

  const specs: ProcessSpec[] = [];
  if (values.only !== 'car') {
    for (const entry of nucServices) {
      specs.push({ key: `nuc/${entry.name}`, modulePath: SERVICE_ENTRY, args: ['nuc', entry.name, ...configArgs], execArgv, env });
    }
  }
  if (values.only !== 'nuc') {
    const runtime = await carRuntime(config.launcher.carRuntime, log);
    for (const car of cars) {
      // with car.agent.enabled the agent runs actuator, camera and pilot (it updates them), the way it runs itself
      for (const entry of launchedCarServices(config)) {
        specs.push({
          key: `car/${car}/${entry.name}`,
          modulePath: runtime.modulePath,
          args: ['car', entry.name, '--car', car, ...configArgs],
          execArgv: [...runtime.execArgv, ...nodeFlagsOf(entry.name)],
          env: { ...env, ...runtime.env },
        });
      }
    }
  }

  const supervisor = new Supervisor({
    initialBackoffMs: config.launcher.restartInitialMs,
    maxBackoffMs: config.launcher.restartMaxMs,
    log,
  });
  const waiting = new Set(specs.map((s) => s.key));
  supervisor.on('ready', (key, message) => {
    waiting.delete(key);
    if (key === 'nuc/server' && typeof message.url === 'string') {
      const tokenLine = config.nuc.token ? '(from the configuration)' : token;
      process.stdout.write(`\n  Dashboard: ${message.url}\n  Metrics:   ${message.url}/metrics\n  Token:     ${tokenLine}\n\n`);
    }
    if (waiting.size === 0) log.info({ services: specs.length }, 'all services ready');
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping all services');
    void supervisor.stopAll().then(() => {
      log.info('all services stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  log.info({ config: config.source, dataDir: config.dataDir, services: specs.map((s) => s.key) }, 'starting');
  for (const spec of specs) supervisor.start(spec);
}

void main();
