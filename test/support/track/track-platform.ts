/**
 * "A car behind this link profile": the platform on two hosts (two-hosts.ts), the NUC's services
 * in one namespace (`npm start --only nuc`), car 1's in another (`npm start --only car`) with
 * `nuc.host` the NUC's track address, so every bus connection and the update downloads cross the
 * link. They share one data directory (one machine's disk), which also gives the car its trusted
 * update root as a provisioned car would have it. This process reaches the NUC over the LAN
 * (`baseUrl`) and the car's local bus over its ipc sockets.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TufRepository, createKeys, type KeySet } from '../../../deploy/index.ts';
import { recordCarBus, type CarBusKind, type CarBusRecorder } from '../car-bus.ts';
import { waitFor } from '../net.ts';
import { ROOT, waitForServices } from '../platform.ts';
import { killLeftovers } from '../service-procs.ts';
import { CLEAN, type LinkProfile } from './link-profile.ts';
import { NUC_TRACK_ADDRESS, startTwoHosts, type Host, type TwoHosts } from './two-hosts.ts';

export const NUC_SERVICE_KEYS = ['proxy', 'server', 'wheel', 'compositor', 'recorder', 'training'].map((name) => `nuc/${name}`);
export const CAR_SERVICE_KEYS = ['proxy', 'uplink', 'sim', 'actuator', 'camera', 'pilot', 'agent'].map((name) => `car/1/${name}`);

export interface TrackPlatform {
  hosts: TwoHosts;
  dataDir: string;
  token: string;
  /** the NUC's HTTP server over the LAN */
  baseUrl: string;
  /** the update repository the NUC serves, and the keys that sign it */
  repoDir: string;
  keys: KeySet;
  /** car 1's local bus, recorded from the start */
  car: CarBusRecorder;
  output(): string;
  stop(): Promise<void>;
}

export interface TrackPlatformOptions {
  profile?: LinkProfile;
  /** the configuration file both hosts read */
  config?: Record<string, unknown>;
  token?: string;
  /** what to record on the car's local bus */
  record?: readonly CarBusKind[];
}

export async function startTrackPlatform(options: TrackPlatformOptions = {}): Promise<TrackPlatform> {
  const hosts = await startTwoHosts();
  // short: the car's ipc sockets live under it (107-byte limit)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etrk-'));
  const token = options.token ?? 'track-link-token';
  const repoDir = path.join(dataDir, 'ota', 'repository');
  const keys = createKeys(path.join(dataDir, 'keys'), { servedDir: repoDir });
  TufRepository.initialize(repoDir, keys);
  const configFile = path.join(dataDir, 'edge.json');
  fs.writeFileSync(configFile, JSON.stringify(options.config ?? {}));
  await hosts.setProfile(options.profile ?? CLEAN);

  let output = '';
  const env = { ...process.env, EDGE_DATA_DIR: dataDir, EDGE_CONFIG: configFile, EDGE_TOKEN: token, EDGE_LOG_LEVEL: process.env.EDGE_LOG_LEVEL ?? 'warn' };
  const launch = (host: Host, args: string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess => {
    const child = hosts.spawnIn(host, [process.execPath, '--import', 'tsx', 'launcher/main.ts', ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return child;
  };
  const nuc = launch('nuc', ['--only', 'nuc']);
  const car = launch('car', ['--only', 'car', '--id', '1'], { EDGE_NUC_HOST: NUC_TRACK_ADDRESS });
  const carBus = recordCarBus(dataDir, '1', options.record ?? ['applied', 'drive', 'telemetry', 'metrics', 'link', 'agent']);
  const baseUrl = `http://${hosts.nucLanAddress}:8080`;

  const stop = async (): Promise<void> => {
    const exits = [nuc, car].map((child) =>
      child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve())),
    );
    for (const child of [nuc, car]) if (child.exitCode === null) child.kill('SIGINT');
    await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    await carBus.close();
    // whatever still runs in the namespaces (the car's adopted services, a hung launcher) dies with them
    await hosts.close();
    killLeftovers(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForServices(baseUrl, [...NUC_SERVICE_KEYS, ...CAR_SERVICE_KEYS], 240_000);
    await waitFor(() => carBus.heard('link').some((l) => l.header.up) || undefined, "the car's uplink connected to the NUC", 60_000, 100);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- output ---\n${output.slice(-4000)}`);
  }
  return { hosts, dataDir, token, baseUrl, repoDir, keys, car: carBus, output: () => output, stop };
}
