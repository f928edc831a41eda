/** Test support: run `npm start`'s launcher as a child with a private data dir and free ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tcpEndpoint, type BusEndpoints, type Identity } from '../../protocol/index.ts';
import { busSecured, pairedBus } from './bus-keys.ts';
import { freePort, waitFor } from './net.ts';
import { killLeftovers } from './service-procs.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningPlatform {
  launcher: ChildProcess;
  baseUrl: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** the NUC bus as `identity` reaches it, paired in the platform's data directory (its proxy admits it at once) */
  nucAs(identity: Identity): BusEndpoints;
  output(): string;
  /** Ctrl-C: resolves with the launcher's exit code */
  stop(): Promise<number | null>;
}

export async function startPlatform(args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningPlatform> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-platform-'));
  const http = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EDGE_DATA_DIR: dataDir,
    EDGE_HTTP_PORT: String(http),
    EDGE_BUS_PUB_PORT: String(await freePort()),
    EDGE_BUS_SUB_PORT: String(await freePort()),
    EDGE_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'launcher/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  // A test that times out must not leave a whole platform running: stop it when this worker exits.
  const stopOnExit = (): void => {
    if (launcher.exitCode === null) launcher.kill('SIGTERM');
    killLeftovers(dataDir);
  };
  process.once('exit', stopOnExit);
  void exited.then(() => process.off('exit', stopOnExit));
  const platform: RunningPlatform = {
    launcher,
    baseUrl: `http://127.0.0.1:${http}`,
    dataDir,
    env,
    nucAs: (identity) =>
      pairedBus(
        dataDir,
        { publishers: tcpEndpoint('127.0.0.1', Number(env.EDGE_BUS_PUB_PORT)), subscribers: tcpEndpoint('127.0.0.1', Number(env.EDGE_BUS_SUB_PORT)) },
        identity,
        busSecured(undefined, env),
      ),
    output: () => output,
    async stop() {
      if (launcher.exitCode === null) launcher.kill('SIGINT');
      const code = await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  return platform;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServiceInfo {
  scope: string;
  id: string;
  service: string;
  up: boolean;
  metrics: { pid: number; counters: { in: number; out: number; dropped: number } };
}

/** Waits until every named service (`nuc/server`, `car/1/uplink`) reports metrics. */
export async function waitForServices(baseUrl: string, keys: string[], timeoutMs = 120_000): Promise<Map<string, ServiceInfo>> {
  return waitFor(
    async () => {
      const services = await getJson<ServiceInfo[]>(`${baseUrl}/api/services`).catch(() => []);
      const byKey = new Map(services.filter((s) => s.up).map((s) => [s.scope === 'nuc' ? `nuc/${s.service}` : `car/${s.id}/${s.service}`, s]));
      return keys.every((k) => byKey.has(k)) ? byKey : undefined;
    },
    `services ${keys.join(', ')}`,
    timeoutMs,
    200,
  );
}
