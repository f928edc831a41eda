/**
 * Test and benchmark support for over-the-air updates: a simulated car run by the launcher with its
 * agent (`launcher/main.ts --only car`), a signed update repository served over HTTP the way the NUC
 * serves it, publishing helpers, and a recorder of the car-local bus (applied, agent, metrics).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FieldsOf, HeaderOf, ReleaseManifest } from '../../protocol/index.ts';
import { recordCarBus } from './car-bus.ts';
import {
  TufRepository,
  buildService,
  createKeys,
  findServiceSpec,
  publishRelease,
  readModelDir,
  type KeySet,
  type ServiceContent,
} from '../../deploy/index.ts';
import Fastify from 'fastify';
import { type TestServer } from './tuf-repo.ts';
import { OtaDb, otaRoutes } from '../../nuc/ota/index.ts';
import { freePort, waitFor } from './net.ts';
import { ROOT } from './platform.ts';
import { killLeftovers } from './service-procs.ts';

/** The agent's states with no update under way. */
export const SETTLED_STATES: ReadonlySet<string> = new Set(['idle', 'failed']);

export interface AppliedRecord {
  /** receive time, ms */
  at: number;
  header: HeaderOf<'applied'>;
}

export interface AgentRecord {
  at: number;
  header: HeaderOf<'agent'>;
}

export interface OtaPlatform {
  dataDir: string;
  carId: string;
  repoDir: string;
  keys: KeySet;
  /** the repository's HTTP server (stands in for the NUC's /ota routes) */
  repoServer: TestServer;
  launcher: ChildProcess;
  applied: AppliedRecord[];
  agentReports: AgentRecord[];
  output(): string;
  /** bundles a car service from the source tree and publishes it as the next release */
  publishService(name: string, label?: string): Promise<ReleaseManifest>;
  /** publishes given service content (e.g. a deliberately broken module) */
  publishContent(name: string, content: ServiceContent, label?: string): ReleaseManifest;
  /** publishes a saved model directory as a model-only release */
  publishModel(dir: string, name?: string, label?: string): ReleaseManifest;
  /** resolves once the actuator follows `gen` and has applied a command of that generation */
  waitForActiveGen(gen: number, timeoutMs?: number): Promise<AppliedRecord>;
  /** the states the agent reported since `since`, from the first busy one on, repeats (heartbeats) folded */
  pathSince(since: number): string[];
  /** resolves with the first agent report (after `since`) that satisfies `test` */
  waitForAgent(test: (header: HeaderOf<'agent'>) => boolean, timeoutMs?: number, since?: number): Promise<AgentRecord>;
  /** resolves once the agent's model pointer names this model version directory's content */
  waitForModelPointer(test: (pointer: { dir: string; name: string; version: string }) => boolean, timeoutMs?: number): Promise<{ dir: string; name: string; version: string }>;
  /** the agent's pid, from its metrics */
  agentPid(): Promise<number>;
  /** every model the pilot's telemetry reported, in order of first report */
  pilotModels: { at: number; model: string }[];
  /** resolves when the pilot's telemetry reports a model that satisfies `test` (after `since`) */
  waitForPilotModel(test: (model: string) => boolean, timeoutMs?: number, since?: number): Promise<{ at: number; model: string }>;
  /** receive times of the camera's frames on the car-local bus */
  frameTimes: number[];
  /** publishes a control message on the car-local bus, as the uplink would pass on the wheel's */
  sendControl(fields: Partial<FieldsOf<'control'>>): Promise<void>;
  /** bytes the repository server has sent under /ota/ so far (metadata and targets, by content-length) */
  bytesServed(): number;
  /** the largest gap between consecutive applied drive commands sent by the actuator in [from, to] (wall clock, ms) */
  maxDriveGapMs(from: number, to: number): number;
  stop(): Promise<void>;
}

export interface OtaPlatformOptions {
  /** merged into the configuration file (e.g. { car: { agent: { healthTimeoutMs: 5000 } } }) */
  config?: Record<string, unknown>;
  carId?: string;
  /** extra environment for the launcher and so every car service (e.g. EDGE_AGENT_FAULT_FILE) */
  env?: NodeJS.ProcessEnv;
}

/** The NUC's /ota routes on their own server, counting the bytes they answer (what cars download). */
async function serveCountingRepository(repoDir: string): Promise<TestServer & { bytesServed(): number }> {
  const app = Fastify({ logger: false });
  const db = OtaDb.open(':memory:');
  let served = 0;
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url.startsWith('/ota/')) served += Number(reply.getHeader('content-length') ?? 0);
    return payload;
  });
  await otaRoutes(app, { repositoryDir: repoDir, db });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    bytesServed: () => served,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

export function simplePilotContent(code: string): ServiceContent {
  return { entry: 'service.js', files: [{ path: 'service.js', bytes: Buffer.from(code) }], strategy: 'handover', needsHardware: false, externals: [] };
}

/** A pilot module whose service starts but never says ready: the agent must roll it back. */
export const NEVER_READY_PILOT = simplePilotContent(
  "export default { name: 'pilot', description: 'never ready', async start() { return { async stop() {} }; } };\n",
);

export async function startOtaPlatform(options: OtaPlatformOptions = {}): Promise<OtaPlatform> {
  const carId = options.carId ?? '1';
  // short: the car's ipc sockets live under it (107-byte limit)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-'));
  const repoDir = path.join(dataDir, 'ota', 'repository');
  const keys = createKeys(path.join(dataDir, 'keys'), { servedDir: repoDir });
  TufRepository.initialize(repoDir, keys);
  const repoServer = await serveCountingRepository(repoDir);
  const httpPort = new URL(repoServer.baseUrl).port;
  const configFile = path.join(dataDir, 'edge.json');
  const agentConfig = { pollMs: 300, healthTimeoutMs: 20_000 };
  const extra = options.config ?? {};
  const extraCar = (extra.car ?? {}) as Record<string, unknown>;
  const config = { ...extra, car: { ...extraCar, agent: { ...agentConfig, ...((extraCar.agent ?? {}) as object) } } };
  fs.writeFileSync(configFile, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EDGE_DATA_DIR: dataDir,
    EDGE_HTTP_PORT: httpPort,
    EDGE_BUS_PUB_PORT: String(await freePort()),
    EDGE_BUS_SUB_PORT: String(await freePort()),
    EDGE_LOG_LEVEL: process.env.EDGE_LOG_LEVEL ?? 'warn',
    EDGE_CONFIG: configFile,
    ...options.env,
  };
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'launcher/main.ts', '--only', 'car', '--id', carId], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  const stopOnExit = (): void => {
    if (launcher.exitCode === null) launcher.kill('SIGTERM');
    killLeftovers(dataDir);
  };
  process.once('exit', stopOnExit);

  const bus = recordCarBus(dataDir, carId, ['applied', 'agent', 'metrics', 'telemetry', 'frame']);
  const applied: AppliedRecord[] = bus.heard('applied');
  const agentReports: AgentRecord[] = bus.heard('agent');
  /** each model the pilot's telemetry named, at its first report */
  const pilotModels = (): { at: number; model: string }[] => {
    const models: { at: number; model: string }[] = [];
    for (const { at, header } of bus.heard('telemetry')) if (models.at(-1)?.model !== header.model) models.push({ at, model: header.model });
    return models;
  };
  const pids = bus.pids;

  const publish = (name: string, content: ServiceContent, label: string): ReleaseManifest =>
    publishRelease(TufRepository.open(repoDir), keys, { label, services: { [name]: content } });

  const platform: OtaPlatform = {
    dataDir,
    carId,
    repoDir,
    keys,
    repoServer,
    launcher,
    applied,
    agentReports,
    output: () => output,
    async publishService(name, label = `${name} from source`) {
      const spec = findServiceSpec(name);
      const content = await buildService(spec, ROOT);
      // each publish is a real change (the same source bundles to the same bytes, which is no update)
      const files = content.files.map((f) => (f.path === content.entry ? { ...f, bytes: Buffer.concat([f.bytes, Buffer.from(`\n// ${JSON.stringify(label)} ${Date.now()}\n`)]) } : f));
      return publish(name, { ...content, files }, label);
    },
    publishContent: (name, content, label = `${name} (given content)`) => publish(name, content, label),
    publishModel(dir, name, label = 'model') {
      return publishRelease(TufRepository.open(repoDir), keys, { label, model: readModelDir(dir, name) });
    },
    waitForActiveGen(gen, timeoutMs = 60_000) {
      return waitFor(
        () => applied.find((r) => r.header.activeGen === gen && r.header.gen === gen && r.header.reason === 'command'),
        `the actuator applying generation ${gen}`,
        timeoutMs,
        20,
      );
    },
    pathSince(since) {
      const states: string[] = [];
      for (const report of agentReports) {
        if (report.at < since || (states.length === 0 && SETTLED_STATES.has(report.header.state))) continue;
        if (states.at(-1) !== report.header.state) states.push(report.header.state);
      }
      return states;
    },
    waitForAgent(test, timeoutMs = 60_000, since = 0) {
      return waitFor(() => agentReports.find((r) => r.at >= since && test(r.header)), 'an agent report', timeoutMs, 20);
    },
    waitForModelPointer(test, timeoutMs = 30_000) {
      const file = path.join(dataDir, 'car', carId, 'agent', 'model.json');
      return waitFor(
        () => {
          try {
            const pointer = JSON.parse(fs.readFileSync(file, 'utf8')) as { dir: string; name: string; version: string };
            return test(pointer) ? pointer : undefined;
          } catch {
            return undefined;
          }
        },
        'the model pointer',
        timeoutMs,
        20,
      );
    },
    get pilotModels() {
      return pilotModels();
    },
    waitForPilotModel(test, timeoutMs = 30_000, since = 0) {
      return waitFor(() => pilotModels().find((m) => m.at >= since && test(m.model)), 'the pilot reporting the model', timeoutMs, 10);
    },
    get frameTimes() {
      return bus.heard('frame').map((r) => r.at);
    },
    sendControl: (fields) => bus.send('control', { angle: 0, throttle: 0, ...fields }),
    bytesServed: () => repoServer.bytesServed(),
    agentPid: () => waitFor(() => pids.get('agent'), 'the agent reporting its pid', 60_000, 50),
    maxDriveGapMs(from, to) {
      // the actuator's send time: the test process's own pauses (publishing signs and hashes) do not count
      const times = applied.filter((r) => r.header.ts >= from && r.header.ts <= to && r.header.reason === 'command').map((r) => r.header.ts);
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
      return gap;
    },
    async stop() {
      if (launcher.exitCode === null) launcher.kill('SIGINT');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (launcher.exitCode === null) {
        launcher.kill('SIGKILL');
        // its agent's services outlive it (waiting to be adopted): nothing else will stop them
        killLeftovers(dataDir);
      }
      process.off('exit', stopOnExit);
      await bus.close();
      await repoServer.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return platform;
}
