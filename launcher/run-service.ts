/**
 * Entry point of one service process: `run-service.ts <car|nuc> <service> [--car <id>] [--config <file>] [--module <file>]`.
 * `--module` runs the default export of that file (a staged release's bundle) instead of the registry's.
 * Loads the configuration, starts the service, publishes its metrics, tells the supervisor when it
 * is healthy, and stops it cleanly on SIGTERM / SIGINT or when the supervisor goes away.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BusPublisher, ServiceMetrics, carTopic, nucTopic, type BusEndpoints } from '../protocol/index.ts';
import { CAR_SERVICES } from '../car/index.ts';
import { NUC_SERVICES } from '../nuc/index.ts';
import {
  carBus,
  carRunDir,
  ConfigError,
  createLogger,
  Guard,
  injectedLoops,
  nucBus,
  nucRunDir,
  type RunningService,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceEntry,
  type ServiceScope,
} from '../runtime/index.ts';
import { nucBusAs, SECURITY_OFF_WARNING, serviceIdentity } from './bus-keys.ts';
import { COMMON_OPTIONS, OPTION_USAGE, commandConfig } from './command-line.ts';

/** How long a service whose supervisor went away waits to be adopted by a new one before it stops. */
const ADOPTION_WAIT_MS = 30_000;

export const USAGE = `usage: npm run service -- <car|nuc> <service> [--car <id>] [--config <file>] [--module <file>] [--outlive-supervisor]

Runs one service in this process, as npm start runs each (e.g. npm run service -- car uplink --car 1).

  --car <id>              the car a car service belongs to (default 1)
  --module <file>         run the default export of this file (a release's bundle) instead of the built-in service
  --outlive-supervisor    keep running when the supervisor goes away, for up to ${ADOPTION_WAIT_MS / 1000} s, until a new one
                          adopts this process (SIGUSR2); the car's agent starts its services so
${OPTION_USAGE.config}
${OPTION_USAGE.help}`;

const STOP_TIMEOUT_MS = 5000;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function findEntry(scope: ServiceScope, name: string): ServiceEntry {
  const registry = scope === 'car' ? CAR_SERVICES : NUC_SERVICES;
  const entry = registry.find((e) => e.name === name);
  if (!entry) fail(`unknown ${scope} service '${name}'; known: ${registry.map((e) => e.name).join(', ')}`);
  return entry;
}

/** A service from a file (a release bundle): its default export must be a service definition. */
function moduleEntry(name: string, file: string): ServiceEntry {
  return {
    name,
    async load() {
      const loaded = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: Partial<ServiceDefinition> };
      const definition = loaded.default;
      if (typeof definition?.start !== 'function') fail(`${file}: its default export is not a service (no start function)`);
      return definition as ServiceDefinition;
    },
  };
}

async function main(): Promise<void> {
  let parsed;
  try {
    // the service processes get --config; the data directory comes with the environment (EDGE_DATA_DIR)
    parsed = parseArgs({
      allowPositionals: true,
      options: { config: COMMON_OPTIONS.config, help: COMMON_OPTIONS.help, car: { type: 'string' }, module: { type: 'string' }, 'outlive-supervisor': { type: 'boolean' } },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { positionals, values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const [scopeArg, name] = positionals;
  if ((scopeArg !== 'car' && scopeArg !== 'nuc') || !name) fail(USAGE);
  const scope: ServiceScope = scopeArg;
  const carId = scope === 'car' ? (values.car ?? '1') : undefined;
  const entry = values.module ? moduleEntry(name, values.module) : findEntry(scope, name);

  let config;
  let bus: BusEndpoints;
  let nucSide: BusEndpoints;
  try {
    config = commandConfig(values);
    // NUC services live on the NUC bus; of a car's services only those that reach the NUC carry its keys
    const reachesNuc = scope === 'nuc' || entry.usesNucBus === true;
    nucSide = reachesNuc ? nucBusAs(config, serviceIdentity(scope, name, carId)) : nucBus(config);
    bus = carId ? carBus(config, carId) : nucSide;
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const log = createLogger(config.log.level, { service: name, car: carId });
  // started by hand (the launcher warns once for all of its services)
  if (config.bus.security === 'none' && !process.send) log.warn(SECURITY_OFF_WARNING);
  const runDir = carId ? carRunDir(config, carId) : nucRunDir(config);
  // the car-local bus's ipc sockets live here: only this user may reach them
  fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(runDir, 0o700);

  const metrics = new ServiceMetrics();
  const guard = new Guard(log, injectedLoops());
  metrics.gauge('faults', () => guard.faults());
  const perLoop = new Set<string>();
  guard.onFault((loop) => {
    if (perLoop.has(loop)) return;
    perLoop.add(loop);
    metrics.gauge(`faults_${loop}`, () => guard.faults(loop));
  });
  const controller = new AbortController();
  const context: ServiceContext = {
    scope,
    name,
    carId,
    config,
    log,
    metrics,
    guard,
    bus,
    nucBus: nucSide,
    runDir,
    signal: controller.signal,
    ready(detail) {
      log.info({ ...detail }, 'ready');
      process.send?.({ type: 'ready', service: name, car: carId, ...detail });
    },
  };

  // The proxy services own the sockets others connect to; their metrics go out once the bus is up.
  const metricsTopic = carId ? carTopic(carId, 'metrics') : nucTopic(name, 'metrics');
  const metricsPublisher = BusPublisher.connect(bus);
  const startedAt = Date.now();
  const publishMetrics = (): void => {
    void metricsPublisher.send(metricsTopic, {
      service: name,
      pid: process.pid,
      uptimeS: (Date.now() - startedAt) / 1000,
      rssBytes: process.memoryUsage.rss(),
      counters: metrics.counters.snapshot(),
      loops: metrics.loopSnapshots(),
      gauges: metrics.gaugeValues(),
    });
  };

  let running: RunningService | undefined;
  let stopping = false;
  const stop = async (reason: string, code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    controller.abort();
    stopMetrics();
    const timeout = setTimeout(() => {
      log.error('service did not stop in time; exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timeout.unref();
    try {
      await running?.stop();
      await metricsPublisher.close();
    } catch (error) {
      log.error({ err: error }, 'error while stopping');
      code = code || 1;
    }
    process.exit(code);
  };

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // The supervisor is gone (killed, crashed): never outlive it as an orphan, unless asked to wait
  // for a new supervisor to adopt this process (the car's agent does, so the car keeps driving).
  let orphaned: NodeJS.Timeout | undefined;
  process.on('disconnect', () => {
    if (!values['outlive-supervisor']) return void stop('supervisor disconnected');
    log.warn({ waitMs: ADOPTION_WAIT_MS }, 'supervisor gone; running on until a new one adopts this service');
    orphaned = setTimeout(() => void stop('not adopted by a new supervisor'), ADOPTION_WAIT_MS);
  });
  if (values['outlive-supervisor']) {
    process.on('SIGUSR2', () => {
      if (orphaned === undefined) return;
      clearTimeout(orphaned);
      orphaned = undefined;
      log.info('adopted by a new supervisor');
    });
  }
  // The last resort: every callback should have its owner (the guard); one that slipped through is a
  // bug to fix, logged and counted under `unowned`. A rejected promise nobody awaited leaves no state
  // half-changed, so the service keeps serving; after a throw that unwound an unknown stack it cannot
  // be trusted (Node's own advice), so it stops as it would for SIGTERM (the actuator at neutral) and
  // its supervisor starts a fresh one.
  process.on('unhandledRejection', (error) => guard.fault('unowned', error));
  process.on('uncaughtException', (error) => {
    guard.fault('unowned', error);
    log.fatal({ err: error }, 'uncaught exception; restarting clean');
    void stop('uncaught exception', 70);
  });

  const stopMetrics = guard.every('metrics_timer', config.bus.metricsIntervalMs, publishMetrics);
  try {
    const definition = await entry.load();
    running = await definition.start(context);
  } catch (error) {
    log.fatal({ err: error }, 'failed to start');
    await stop('start failed', 1);
  }
}

void main();
