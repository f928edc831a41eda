/**
 * Test support for OS updates without a real machine: a simulated RAUC below the agent (the CLI is
 * rauc-sim-cli.mjs over a JSON state file: slots A/B, their versions and builds, GRUB's OK/TRY flags
 * and boot order), the bootloader's side of it (boot(): one try per slot, the first bootable slot in
 * the order), and a car whose "machine" the test reboots: the car (launcher --only car with its
 * agent) is stopped, the bootloader rule applied, /etc/edge-os-release rewritten for the booted
 * slot, and the car started again. A bundle is a JSON file {compatible, version, build, carConfig?};
 * its carConfig stands for what the OS image ships (merged into the car's configuration while that
 * slot is booted), so a "broken OS" is one whose configuration keeps a service from coming up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BusPublisher, carLocalEndpoints, nucTopic, type HeaderOf, type ReleaseManifest } from '../../protocol/index.ts';
import { TufRepository, createKeys, publishRelease, type KeySet, type ServiceContent } from '../../deploy/index.ts';
import { carRunDir, recordCarBus, type CarBusRecorder } from './car-bus.ts';
import { freePort, sleep, waitFor } from './net.ts';
import { ROOT } from './platform.ts';
import { killLeftovers } from './service-procs.ts';
import { serveRepository, type TestServer } from './tuf-repo.ts';

export type SimSlot = 'A' | 'B';

export interface SimSlotState {
  ok: boolean;
  try: boolean;
  installed?: boolean;
  installedAt?: number;
  version?: string;
  build?: number;
  carConfig?: Record<string, unknown>;
}

export interface RaucSimState {
  compatible: string;
  booted: SimSlot;
  order: SimSlot[];
  slots: Record<SimSlot, SimSlotState>;
  /** how long an install takes, ms */
  installMs?: number;
  installs?: number;
  /** every CLI call, newest last */
  calls?: string[];
}

export interface SimBundle {
  compatible: string;
  version: string;
  build: number;
  carConfig?: Record<string, unknown>;
}

export interface RaucSim {
  /** the executable the agent runs as `rauc` */
  cli: string;
  stateFile: string;
  /** the simulated /etc/edge-os-release of the booted slot */
  osReleaseFile: string;
  state(): RaucSimState;
  /** the bootloader: the first slot in the order that is OK and not yet tried gets its one try */
  boot(): { slot: SimSlot; version: string; carConfig?: Record<string, unknown> };
}

function writeJsonAtomic(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(value, null, 2));
  fs.renameSync(temp, file);
}

/** A simulated RAUC with the factory image in slot A (good, booted once boot() is called). */
export function createRaucSim(dir: string, factory: { compatible: string; version: string; build: number; installMs?: number }): RaucSim {
  fs.mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'rauc-sim.json');
  const osReleaseFile = path.join(dir, 'edge-os-release');
  const cli = path.join(dir, 'rauc');
  const state: RaucSimState = {
    compatible: factory.compatible,
    booted: 'A',
    order: ['A', 'B'],
    slots: { A: { ok: true, try: false, version: factory.version, build: factory.build }, B: { ok: false, try: false } },
    ...(factory.installMs !== undefined ? { installMs: factory.installMs } : {}),
  };
  writeJsonAtomic(stateFile, state);
  const script = path.join(ROOT, 'test', 'support', 'rauc-sim-cli.mjs');
  fs.writeFileSync(cli, `#!/bin/sh\nRAUC_SIM_STATE=${JSON.stringify(stateFile)} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`, { mode: 0o755 });
  const read = (): RaucSimState => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as RaucSimState;
  return {
    cli,
    stateFile,
    osReleaseFile,
    state: read,
    boot() {
      const now = read();
      const slot = now.order.find((s) => now.slots[s].ok && !now.slots[s].try);
      if (!slot) throw new Error(`rauc-sim: no bootable slot (${JSON.stringify(now.slots)})`);
      now.slots[slot].try = true;
      now.booted = slot;
      writeJsonAtomic(stateFile, now);
      const booted = now.slots[slot];
      fs.writeFileSync(osReleaseFile, `EDGE_OS_VERSION=${booted.version}\nEDGE_OS_BUILD=${booted.build}\nEDGE_OS_TARGET=qemu-x86_64\n`);
      return { slot, version: booted.version!, ...(booted.carConfig ? { carConfig: booted.carConfig } : {}) };
    },
  };
}

export function simBundle(bundle: SimBundle): Buffer {
  return Buffer.from(`${JSON.stringify(bundle)}\n`);
}

export interface BootRecord {
  at: number;
  slot: SimSlot;
  version: string;
}

export interface OsCar {
  dataDir: string;
  carId: string;
  osDir: string;
  sim: RaucSim;
  keys: KeySet;
  boots: BootRecord[];
  /** reboot requests the agent wrote, with their time */
  rebootRequests: { at: number; content: string }[];
  /** every agent report over all boots */
  agentReports(): { at: number; header: HeaderOf<'agent'> }[];
  telemetry(): { at: number; header: HeaderOf<'telemetry'> }[];
  waitForAgent(test: (header: HeaderOf<'agent'>) => boolean, what: string, timeoutMs?: number, since?: number): Promise<{ at: number; header: HeaderOf<'agent'> }>;
  /** publishes a release (optionally with a simulated OS bundle) through the real TUF repository */
  publish(changes: { label: string; services?: Record<string, ServiceContent>; os?: SimBundle }): ReleaseManifest;
  sendControl(angle: number, throttle: number): Promise<void>;
  /** the NUC's release hint on the car-local bus, as the uplink passes it on */
  sendReleaseHint(osReboot?: string[]): Promise<void>;
  /** a power cut: everything dies at once, and the machine boots again (bootloader rule) */
  powerCut(): Promise<void>;
  /** only the car's processes die (an agent crash), no reboot; they start again */
  restartCar(): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export interface OsCarOptions {
  carId?: string;
  factory: { compatible: string; version: string; build: number };
  installMs?: number;
  /** merged into the car's configuration file ({ car: { agent: {...} } } is merged one level deeper) */
  config?: Record<string, unknown>;
}

function merge(base: Record<string, unknown>, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!extra) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const prior = out[key];
    out[key] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof prior === 'object' && prior !== null && !Array.isArray(prior)
        ? merge(prior as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export async function startOsCar(options: OsCarOptions): Promise<OsCar> {
  const carId = options.carId ?? '1';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osu-'));
  const osDir = path.join(dataDir, 'os');
  const repoDir = path.join(dataDir, 'ota', 'repository');
  const keys = createKeys(path.join(dataDir, 'keys'), { servedDir: repoDir });
  TufRepository.initialize(repoDir, keys);
  const server: TestServer = await serveRepository(repoDir);
  const sim = createRaucSim(path.join(dataDir, 'machine'), { ...options.factory, ...(options.installMs !== undefined ? { installMs: options.installMs } : {}) });
  const configFile = path.join(dataDir, 'edge.json');
  // osChunkPort 0: each test car's chunk store on a free port (the simulated RAUC reads no chunks)
  const baseConfig = merge({ car: { agent: { pollMs: 300, healthTimeoutMs: 20_000, rauc: sim.cli, osChunkPort: 0 } } }, options.config);
  const ports = { pub: String(await freePort()), sub: String(await freePort()) };
  let launcher: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const recorders: CarBusRecorder[] = [];
  const boots: BootRecord[] = [];
  const rebootRequests: { at: number; content: string }[] = [];
  const publisher = BusPublisher.connect(carLocalEndpoints(carRunDir(dataDir, carId)).publishers);
  let stopping = false;
  let busy: Promise<void> = Promise.resolve();

  const spawnCar = (): void => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'launcher/main.ts', '--only', 'car', '--id', carId], {
      cwd: ROOT,
      env: {
        ...process.env,
        EDGE_DATA_DIR: dataDir,
        EDGE_HTTP_PORT: new URL(server.baseUrl).port,
        EDGE_BUS_PUB_PORT: ports.pub,
        EDGE_BUS_SUB_PORT: ports.sub,
        EDGE_LOG_LEVEL: process.env.EDGE_LOG_LEVEL ?? 'info',
        EDGE_CONFIG: configFile,
        EDGE_OS_RELEASE: sim.osReleaseFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    launcher = child;
    recorders.push(recordCarBus(dataDir, carId, ['agent', 'telemetry', 'applied']));
  };

  /** The machine boots: the bootloader picks a slot, that slot's OS (and its configuration) runs the car. */
  const startCar = (): void => {
    const booted = sim.boot();
    boots.push({ at: Date.now(), slot: booted.slot, version: booted.version });
    fs.writeFileSync(configFile, JSON.stringify(merge(baseConfig, booted.carConfig)));
    spawnCar();
  };

  const stopCar = async (hard: boolean): Promise<void> => {
    const child = launcher;
    if (child && child.exitCode === null) {
      child.kill(hard ? 'SIGKILL' : 'SIGINT');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }
    // a reboot (or a power cut) ends every process of the machine, the detached services too
    killLeftovers(dataDir);
    const recorder = recorders.at(-1);
    await recorder?.close();
  };

  // the image's path unit: a reboot request reboots the machine
  const requestFile = path.join(osDir, 'reboot-request');
  const watcher = setInterval(() => {
    if (stopping || !fs.existsSync(requestFile)) return;
    const content = fs.readFileSync(requestFile, 'utf8');
    fs.rmSync(requestFile, { force: true });
    rebootRequests.push({ at: Date.now(), content });
    busy = busy.then(async () => {
      await stopCar(false);
      if (!stopping) startCar();
    });
  }, 100);

  startCar();
  const allReports = () => recorders.flatMap((r) => r.heard('agent'));
  const processOnExit = (): void => {
    launcher?.kill('SIGKILL');
    killLeftovers(dataDir);
  };
  process.once('exit', processOnExit);

  return {
    dataDir,
    carId,
    osDir,
    sim,
    keys,
    boots,
    rebootRequests,
    agentReports: allReports,
    telemetry: () => recorders.flatMap((r) => r.heard('telemetry')),
    waitForAgent: (test, what, timeoutMs = 60_000, since = 0) => waitFor(() => allReports().find((r) => r.at >= since && test(r.header)), what, timeoutMs, 50),
    publish(changes) {
      const { os: bundle, ...rest } = changes;
      return publishRelease(TufRepository.open(repoDir), keys, {
        ...rest,
        ...(bundle ? { os: { version: bundle.version, compatible: bundle.compatible, fileName: `car-${bundle.version}-qemu-x86_64.raucb`, bytes: simBundle(bundle) } } : {}),
      });
    },
    sendControl: (angle, throttle) => recorders.at(-1)!.send('control', { angle, throttle }),
    sendReleaseHint: (osReboot) => publisher.send(nucTopic('ota', 'release'), { timestamp: 1, ...(osReboot ? { osReboot } : {}) }),
    async powerCut() {
      busy = busy.then(async () => {
        await stopCar(true);
        startCar();
      });
      await busy;
    },
    async restartCar() {
      busy = busy.then(async () => {
        await stopCar(true);
        // same boot: the booted slot and its try flag stay as they are
        spawnCar();
      });
      await busy;
    },
    output: () => output,
    async stop() {
      stopping = true;
      clearInterval(watcher);
      await busy;
      await stopCar(false);
      await publisher.close();
      await server.close();
      process.off('exit', processOnExit);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
