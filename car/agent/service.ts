/**
 * The `agent` car service: polls the NUC's update repository (the car pulls; nothing listens for
 * commands), verifies the newest release through TUF, and runs the UpdateExecutor over the car's
 * real effects. It is also the process manager of the updatable services (actuator, camera, pilot):
 * it starts the committed instances, restarts them when they crash, and hands them over on updates.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blobPath } from '../../protocol/index.ts';
import type { ServiceDefinition } from '../../runtime/index.ts';
import { nodeFlagsOf } from '../node-flags.ts';
import { AGENT_MANAGED_SERVICES } from '../updatable-services.ts';
import { agentPaths } from './agent-paths.ts';
import { BlobStore } from './blob-store.ts';
import { CarEffects } from './car-effects.ts';
import { CarLink } from './car-link.ts';
import { UpdateExecutor, type AgentEffects } from './executor.ts';
import { HintThrottle } from './hint-throttle.ts';
import { UNPROVISIONED_ROOT, trustedRootOf } from './trust.ts';
import { FileJournal, type JournalStore } from './journal.ts';
import { DEFAULT_PLANNER_CONFIG, type ServiceInstance } from './planner.ts';
import type { Release } from './release.ts';
import { ServiceProcesses } from './service-processes.ts';
import { SlotStore } from './slot-store.ts';
import type { AgentState, Phase } from './state.ts';
import { UpdateClient, UpdateRefusedError, provisionTrustedRoot } from './update-client.ts';
import { readOsVersion } from './os-release.ts';
import type { OsHealth } from './os-plan.ts';
import { OsUpdater } from './os-update.ts';
import { Rauc } from './rauc.ts';

/** The installed tree's node_modules, which a release bundle's native imports resolve from. */
function installedNodeModules(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('no node_modules above the agent: the car install is incomplete');
  }
}

/** The instances the installed release runs: each managed service from its slot (A: factory code). */
export function committedInstances(state: AgentState, services: readonly string[] = AGENT_MANAGED_SERVICES): ServiceInstance[] {
  return services.map((name) => ({ name, slot: state.current.slots[name] ?? 'A', gen: state.current.gen }));
}

/** The services get the configuration file the agent was started with. */
function configArgs(argv: readonly string[]): string[] {
  const at = argv.indexOf('--config');
  const file = at >= 0 ? argv[at + 1] : undefined;
  return file ? ['--config', path.resolve(file)] : [];
}

/** A sleep that `wake()` cuts short: a new target, the NUC's hint, a stop. */
function wakeableSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}

/**
 * The effects and journal, wrapped by the test-only fault injection when EDGE_AGENT_FAULT_FILE names
 * a fault file (never set on a car, where car/agent/fault-injection.ts is not even loaded).
 */
async function withTestFaults(effects: AgentEffects, journal: JournalStore, phase: () => Phase | undefined): Promise<{ effects: AgentEffects; journal: JournalStore }> {
  const file = process.env.EDGE_AGENT_FAULT_FILE;
  if (!file) return { effects, journal };
  const { withFaultInjection, withFaultyEffects } = await import('./fault-injection.ts');
  return { effects: withFaultyEffects(effects, file, phase), journal: withFaultInjection(journal, file) };
}

function settled(state: AgentState): boolean {
  return state.phase === 'idle' || state.phase === 'failed';
}

const agent: ServiceDefinition = {
  name: 'agent',
  description: 'pulls signed releases, runs and hands over the updatable car services, rolls back on failure',
  async start(context) {
    const { config, log } = context;
    const settings = config.car.agent;
    const carId = context.carId!;
    const paths = agentPaths(config.dataDir, carId);
    // with nuc.tls the NUC serves /ota over HTTPS only (the certificate must be trusted: NODE_EXTRA_CA_CERTS)
    const scheme = config.nuc.tls.cert ? 'https' : 'http';
    const nucUrl = `${scheme}://${config.nuc.host.includes(':') ? `[${config.nuc.host}]` : config.nuc.host}:${config.nuc.httpPort}`;
    const targetBaseUrl = `${nucUrl}/ota/targets`;
    const trustedRoot = trustedRootOf(config.car, config.dataDir);
    const plannerConfig = { ...DEFAULT_PLANNER_CONFIG, healthTimeoutMs: settings.healthTimeoutMs, baseline: AGENT_MANAGED_SERVICES };

    const link = CarLink.connect(context.bus, carId);
    const osVersion = readOsVersion();
    const osDir = settings.osDir || path.join(config.dataDir, 'os');
    const ownFlags = nodeFlagsOf('agent');
    const runnerFlags = process.execArgv.filter((flag) => !ownFlags.includes(flag));
    const blobs = new BlobStore({ dir: paths.blobs, urlOf: (file) => `${targetBaseUrl}/${blobPath(file.target, file.sha256)}` });
    context.metrics.gauge('ota_bytes_fetched', () => blobs.bytesFetched);
    context.metrics.gauge('ota_download_resumes', () => blobs.resumes);
    const slots = new SlotStore(paths.slots, blobs);
    await slots.linkNodeModules(installedNodeModules());

    // the processes ask which instances to keep alive; the answer needs the executor created after them
    const live: { executor?: UpdateExecutor; effects?: CarEffects; os?: OsUpdater } = {};
    const processes = new ServiceProcesses({
      // the services run the way this agent runs: the same runner (sources under tsx, or the car's
      // bundle under plain node) with the same runner flags, plus each service's own
      runnerPath: process.argv[1]!,
      execArgvOf: (name) => [...runnerFlags, ...nodeFlagsOf(name)],
      pidDir: paths.pids,
      log,
      heardFrom: (pid) => link.heardFrom(pid),
      stopTimeoutMs: settings.stopTimeoutMs,
      restartInitialMs: config.launcher.restartInitialMs,
      restartMaxMs: config.launcher.restartMaxMs,
      keepAlive: (instance) =>
        live.executor !== undefined &&
        live.effects !== undefined &&
        committedInstances(live.executor.state).some((wanted) => {
          const normalized = live.effects!.normalize(wanted);
          return normalized.name === instance.name && normalized.slot === instance.slot && normalized.gen === instance.gen;
        }),
    });
    let target: Release | undefined;
    const carEffects = new CarEffects({
      carId,
      blobs,
      slots,
      processes,
      link,
      log,
      modelsDir: paths.models,
      modelPointer: paths.modelPointer,
      runnerArgs: configArgs(process.argv),
      drivePublishers: plannerConfig.drivePublishers,
      // a model has the same time to show up in the pilot as a new service has to report ready
      modelConfirmMs: settings.healthTimeoutMs,
      installedVersion: () => live.executor?.state.current.release?.version ?? 0,
      osVersion,
      osReport: () => live.os?.report() ?? {},
    });
    live.effects = carEffects;
    const { effects, journal } = await withTestFaults(carEffects, new FileJournal(paths.journal), () => live.executor?.state.phase);

    // The OS step: a release's OS is installed (and the car rebooted into it, on trial) before its
    // services and model, which wait until the OS is marked good
    let operatorAllowsReboot = false;
    const osHealth = (): OsHealth => {
      const executor = live.executor;
      if (!executor) return { ok: false, reason: 'the agent is starting' };
      const notReady = committedInstances(executor.state)
        .map((instance) => carEffects.normalize(instance))
        .filter((instance) => !processes.isReady(instance))
        .map((instance) => instance.name);
      if (notReady.length > 0) return { ok: false, reason: `${notReady.join(', ')} not ready` };
      const silentMs = link.silentForMs();
      if (silentMs > 3000) return { ok: false, reason: `the car-local bus silent for ${Number.isFinite(silentMs) ? `${Math.round(silentMs / 1000)} s` : 'ever'}` };
      const { rateHz } = config.car.drive;
      const { fps } = config.car.camera;
      const expected = fps > 0 ? Math.min(rateHz, fps) : rateHz;
      const rate = link.telemetryRate();
      if (rate < expected / 2) return { ok: false, reason: `drive loop at ${rate.toFixed(1)} Hz, expected ${expected} Hz` };
      // the loop ticks on time with or without frames: the camera must deliver them too
      const frames = link.cameraFrameRate();
      if (frames === undefined) return { ok: false, reason: 'no camera metrics yet' };
      if (frames < expected / 2) return { ok: false, reason: `camera at ${frames.toFixed(1)} frames/s, expected ${expected}` };
      return { ok: true };
    };
    const osUpdater = await OsUpdater.open({
      dir: osDir,
      rauc: new Rauc({ cli: settings.rauc }),
      bundles: new BlobStore({ dir: path.join(osDir, 'bundles'), urlOf: (file) => `${targetBaseUrl}/${blobPath(file.target, file.sha256)}` }),
      chunks: { upstream: `${nucUrl}/ota/chunks/`, port: settings.osChunkPort },
      config: { reboot: settings.osReboot, restS: settings.osRestS, healthS: settings.osHealthS },
      log: log.child({ part: 'os' }),
      running: osVersion,
      health: osHealth,
      restForMs: () => link.restForMs(),
      operatorAllows: () => operatorAllowsReboot,
      onReport: () => carEffects.publish(),
    });
    live.os = osUpdater;

    const updates = await UpdateExecutor.open({
      effects,
      journal,
      // a release whose OS does not run yet (or while an OS update is under way) waits for the OS step
      target: () => (osUpdater.servicesMayApply(target) ? target : undefined),
      config: plannerConfig,
      stepTimeoutMs: settings.stepTimeoutMs,
      // a download that makes no progress for a step's time has stalled
      downloadStallMs: settings.stepTimeoutMs,
      stoppedForMs: settings.stoppedForMs,
      onStep: (step, before, after) =>
        log.info({ step: step.kind, ...('reason' in step ? { reason: step.reason } : {}), from: before.phase, to: after.phase, error: after.lastError }, 'update step'),
    });
    live.executor = updates;
    log.info({ phase: updates.state.phase, version: updates.state.current.release?.version ?? 0, gen: updates.state.current.gen }, 'agent journal loaded');
    carEffects.announceGeneration(updates.state.current.gen);

    // A previous agent's services kept running: take over the committed ones as they are (the car
    // keeps driving), stop the rest (a candidate the restart interrupted is rolled back by the planner).
    const committed = committedInstances(updates.state).map((instance) => carEffects.normalize(instance));
    const adoption = await processes.adopt(
      (instance) => committed.some((wanted) => wanted.name === instance.name && wanted.slot === instance.slot && wanted.gen === instance.gen),
      (instance) => carEffects.launcher(instance, updates.state.current.release),
    );
    if (adoption.adopted.length > 0 || adoption.stopped > 0) log.info({ adopted: adoption.adopted.map((i) => i.name), stopped: adoption.stopped }, 'took over the services a previous agent left');

    /** Runs exactly the committed instances (only while no update is moving them). */
    const reconcile = async (): Promise<void> => {
      const state = updates.state;
      const wanted = committedInstances(state).map((instance) => carEffects.normalize(instance));
      for (const instance of wanted) await carEffects.startService(instance, state.current.release);
      if (!settled(state)) return;
      for (const running of processes.instances()) {
        if (!wanted.some((w) => w.name === running.name && w.slot === running.slot && w.gen === running.gen)) await processes.stop(running);
      }
    };
    await reconcile();

    const controller = new AbortController();
    const { signal } = controller;
    const runPause = wakeableSleep();

    let client: UpdateClient | undefined;
    let warnedNoRoot = false;
    const poll = async (): Promise<void> => {
      if (trustedRoot === undefined) {
        // real hardware never trusts a root on first sight: updates wait for a provisioned one
        if (!warnedNoRoot) log.warn(UNPROVISIONED_ROOT);
        warnedNoRoot = true;
        carEffects.setPollError(UNPROVISIONED_ROOT);
        return;
      }
      if (!client) {
        if (!fs.existsSync(path.join(paths.tuf, 'root.json'))) {
          if (!fs.existsSync(trustedRoot)) {
            if (!warnedNoRoot) log.info({ trustedRoot }, 'no trusted root yet; updates wait for it');
            warnedNoRoot = true;
            return;
          }
          provisionTrustedRoot(paths.tuf, fs.readFileSync(trustedRoot));
        }
        client = new UpdateClient({ metadataBaseUrl: `${nucUrl}/ota/metadata`, targetBaseUrl, metadataDir: paths.tuf, fetchTimeoutMs: 10_000, car: carId });
      }
      try {
        const release = await client.latestRelease();
        carEffects.setPollError(undefined);
        if (release.version !== target?.version) {
          log.info({ version: release.version, label: release.label }, 'verified release');
          target = release;
          updates.wake();
          runPause.wake();
        }
      } catch (error) {
        if (error instanceof UpdateRefusedError && error.reason === 'invalid' && /nothing published yet/.test(error.message)) return;
        if (error instanceof UpdateRefusedError && error.reason === 'unavailable') {
          log.debug({ err: error.message }, 'update repository unreachable');
          return;
        }
        log.warn({ err: (error as Error).message }, 'release refused; the running version keeps running');
        carEffects.setPollError((error as Error).message);
      }
    };

    // the NUC's hint that the repository changed cuts the wait short (at most once per
    // minHintIntervalMs); the poll still verifies everything
    const pollPause = wakeableSleep();
    const hints = new HintThrottle(settings.minHintIntervalMs, () => pollPause.wake());
    link.onReleaseHint((hint) => {
      if (hint.osReboot?.includes(carId) && !operatorAllowsReboot) {
        log.info('the operator allowed the reboot into the new OS');
        operatorAllowsReboot = true;
        osPause.wake();
      }
      hints.hint();
    });
    context.metrics.gauge('agent_release_hints_folded', () => hints.folded);
    const pollLoop = (async () => {
      while (!signal.aborted) {
        await poll().catch((error: unknown) => log.error({ err: error }, 'poll failed'));
        await pollPause.sleep(settings.pollMs);
      }
    })();

    const runLoop = (async () => {
      while (!signal.aborted) {
        try {
          const step = await updates.runOnce();
          if (settled(updates.state)) await reconcile();
          if (step.kind === 'noop') await runPause.sleep(settings.pollMs);
        } catch (error) {
          log.error({ err: error }, 'update step failed outside the planner; retrying from the journal state');
          await runPause.sleep(1000);
        }
      }
    })();

    const osPause = wakeableSleep();
    const osLoop = (async () => {
      while (!signal.aborted) {
        try {
          // never interleaved with a service update: the OS step starts only while the services are settled
          if (osUpdater.marker || settled(updates.state)) {
            const step = await osUpdater.runOnce(target?.os);
            if (step.kind === 'mark-good' && step.trial) {
              updates.wake();
              runPause.wake();
            }
          }
        } catch (error) {
          log.error({ err: error }, 'OS update step failed; retrying');
        }
        await osPause.sleep(500);
      }
    })();

    const stopHeartbeat = context.guard.every('heartbeat', 1000, () => carEffects.publish());
    context.ready({ version: updates.state.current.release?.version ?? 0, gen: updates.state.current.gen });

    return {
      async stop() {
        controller.abort();
        hints.stop();
        stopHeartbeat();
        runPause.wake();
        pollPause.wake();
        osPause.wake();
        updates.wake();
        await Promise.race([Promise.all([runLoop, pollLoop, osLoop]), new Promise((resolve) => setTimeout(resolve, 2000))]);
        await processes.stopAll();
        await link.close();
      },
    };
  },
};

export default agent;
