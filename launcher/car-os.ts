/**
 * The car OS's own entry point, bundled with the car services into the image and run by systemd
 * with plain node: `car-os.js provision` (first boot, as root: edge-car.yaml → the car's config),
 * `car-os.js clock` (as root: steps a clock that is behind to the NUC's), `car-os.js run` (as the car's
 * user: the car's services under the supervisor, from the runner bundle beside this file).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchedCarServices, nodeFlagsOf } from '../car/index.ts';
import { CONSOLE_MARKS, DEFAULT_PATHS, runFirstBoot } from '../image/index.ts';
import { ConfigError, createLogger, loadConfig } from '../runtime/index.ts';
import { CAR_ENV, CAR_NODE_FLAGS } from './car-bundle.ts';
import { isMainModule } from './command-line.ts';
import { Supervisor, type ProcessSpec } from './supervisor.ts';

export const USAGE = `usage: node car-os.js provision|clock|run

The car OS's entry (systemd runs it; see image/os-files.ts):
  provision   first boot: check edge-car.yaml and the key folder on the boot partition, move the
              secrets to the data partition, write the car's configuration, grow the data partition
  clock       step the clock forward to the NUC's (HTTP Date) when it is behind: TUF metadata
              expires, and a car without a battery-backed clock boots in the past
  run         the car's services, supervised (EDGE_CONFIG names the configuration)`;

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULTS_FILE = '/etc/edge/defaults.json';
/** A clock this far behind the NUC's is stepped; never backwards (a forged Date can then only make metadata expire early, never make stale metadata look fresh). */
const CLOCK_STEP_MS = 30_000;
const CLOCK_TRIES = 15;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function hardwareDefaults(): { i2cBus: number; camera: string[] } {
  try {
    const value = JSON.parse(fs.readFileSync(DEFAULTS_FILE, 'utf8')) as { i2cBus?: unknown; camera?: unknown };
    if (typeof value.i2cBus === 'number' && Array.isArray(value.camera) && value.camera.every((a) => typeof a === 'string')) return { i2cBus: value.i2cBus, camera: value.camera as string[] };
  } catch {
    // fall through to the Pi's defaults
  }
  return { i2cBus: 1, camera: ['rpicam-vid', '-t', '0', '--codec', 'mjpeg', '-o', '-'] };
}

function provision(): number {
  const result = runFirstBoot({ paths: DEFAULT_PATHS, defaults: hardwareDefaults(), grow: true, chown: true, say });
  return result === 'provisioned' || result === 'kept' ? 0 : 1;
}

/** The NUC's clock from its HTTP server's Date header. */
function nucDate(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: '/', timeout: 2000 }, (response) => {
      response.resume();
      const date = Date.parse(response.headers.date ?? '');
      resolve(Number.isFinite(date) ? date : undefined);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

async function clock(): Promise<number> {
  let config;
  try {
    config = loadConfig({ file: process.env.EDGE_CONFIG ?? DEFAULT_PATHS.config, env: process.env, flags: [] });
  } catch (error) {
    say(`EDGE-CLOCK no configuration (${(error as Error).message.split('\n')[0]})`);
    return 0;
  }
  for (let attempt = 0; attempt < CLOCK_TRIES; attempt++) {
    const nuc = await nucDate(config.nuc.host, config.nuc.httpPort);
    if (nuc !== undefined) {
      const behind = nuc - Date.now();
      if (behind > CLOCK_STEP_MS) {
        execFileSync('date', ['-u', '-s', `@${Math.floor(nuc / 1000)}`]);
        say(`EDGE-CLOCK stepped forward ${Math.round(behind / 1000)} s to the NUC's clock`);
      } else say(`EDGE-CLOCK within ${Math.round(Math.abs(behind) / 1000)} s of the NUC's clock`);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  say(`EDGE-CLOCK the NUC (${config.nuc.host}:${config.nuc.httpPort}) did not answer; timesyncd may still set the clock`);
  return 0;
}

async function run(): Promise<number> {
  let config;
  try {
    config = loadConfig({ file: process.env.EDGE_CONFIG ?? DEFAULT_PATHS.config, env: process.env, flags: [] });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(`${CONSOLE_MARKS.failed} ${error.message}`);
    return 2;
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const log = createLogger(config.log.level, { service: 'car-os' });
  const runner = fs.existsSync(path.join(here, 'run-service.js')) ? path.join(here, 'run-service.js') : path.join(here, 'run-service.ts');
  const configArgs = process.env.EDGE_CONFIG ? ['--config', process.env.EDGE_CONFIG] : [];
  const specs: ProcessSpec[] = [];
  for (const car of config.launcher.cars) {
    for (const entry of launchedCarServices(config)) {
      specs.push({ key: `car/${car}/${entry.name}`, modulePath: runner, args: ['car', entry.name, '--car', car, ...configArgs], execArgv: [...CAR_NODE_FLAGS, ...nodeFlagsOf(entry.name)], env: { ...process.env, ...CAR_ENV } });
    }
  }
  const supervisor = new Supervisor({ initialBackoffMs: config.launcher.restartInitialMs, maxBackoffMs: config.launcher.restartMaxMs, log });
  const waiting = new Set(specs.map((s) => s.key));
  supervisor.on('ready', (key) => {
    waiting.delete(key);
    if (waiting.size === 0) say(`EDGE-CAR-READY ${specs.map((s) => s.key).join(' ')}`);
  });
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    void supervisor.stopAll().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  log.info({ config: config.source, dataDir: config.dataDir, services: specs.map((s) => s.key) }, 'starting the car');
  for (const spec of specs) supervisor.start(spec);
  return new Promise<number>(() => undefined); // runs until stopped
}

export async function carOsMain(argv: readonly string[]): Promise<number> {
  switch (argv[0]) {
    case 'provision':
      return provision();
    case 'clock':
      return clock();
    case 'run':
      return run();
    default:
      process.stderr.write(`${USAGE}\n`);
      return argv[0] === '--help' || argv[0] === '-h' ? 0 : 2;
  }
}

if (isMainModule(import.meta.url)) {
  void carOsMain(process.argv.slice(2)).then((code) => process.exit(code));
}
