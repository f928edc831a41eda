/** Benchmark support: run the platform's real service processes with a private data dir and ports. */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { carLocalEndpoints, tcpEndpoint, type BusEndpoints, type Identity } from '../../protocol/index.ts';
import { busSecured, pairedBus, pairedKeyDir } from './bus-keys.ts';
import { freePort } from './net.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICE_ENTRY = path.join(root, 'launcher/run-service.ts');

export interface PlatformProcesses {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** the NUC bus's endpoints (no keys: see nucAs) */
  nuc: BusEndpoints;
  /** the NUC bus as `identity` reaches it, paired in this platform's data directory */
  nucAs(identity: Identity): BusEndpoints;
  /** the key directory of `identity`, paired in this platform's data directory (for a peer in another process) */
  clientKeyDir(identity: Identity): string;
  carBus(carId: string): BusEndpoints;
  /** starts `launcher/run-service.ts <scope> <name>` and resolves once it reports ready */
  startService(scope: 'car' | 'nuc', name: string, carId?: string): Promise<ChildProcess>;
  /** any other TypeScript module as a process (e.g. an echo peer) */
  startScript(modulePath: string, args: string[]): ChildProcess;
  stop(): Promise<void>;
}

export interface PlatformProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** a configuration document for every process (written to a file named by EDGE_CONFIG) */
  config?: Record<string, unknown>;
}

export async function startPlatformProcesses(options: PlatformProcessOptions = {}): Promise<PlatformProcesses> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-run-'));
  const configFile = path.join(dataDir, 'edge.json');
  fs.writeFileSync(configFile, JSON.stringify(options.config ?? {}));
  const [pub, sub, http] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    EDGE_DATA_DIR: dataDir,
    EDGE_BUS_PUB_PORT: String(pub),
    EDGE_BUS_SUB_PORT: String(sub),
    EDGE_HTTP_PORT: String(http),
    EDGE_LOG_LEVEL: 'warn',
    EDGE_CONFIG: configFile,
    ...options.env,
  };
  const children: ChildProcess[] = [];
  const spawn = (modulePath: string, args: string[]): ChildProcess => {
    const child = fork(modulePath, args, { env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    return child;
  };
  const nuc = { publishers: tcpEndpoint('127.0.0.1', pub), subscribers: tcpEndpoint('127.0.0.1', sub) };
  return {
    dataDir,
    env,
    nuc,
    nucAs: (identity) => pairedBus(dataDir, nuc, identity, busSecured(options.config as { bus?: { security?: string } }, env)),
    clientKeyDir: (identity) => pairedKeyDir(dataDir, identity),
    carBus: (carId) => carLocalEndpoints(path.join(dataDir, 'car', carId, 'run')),
    startService(scope, name, carId) {
      const child = spawn(SERVICE_ENTRY, [scope, name, ...(carId ? ['--car', carId] : [])]);
      return new Promise((resolve, reject) => {
        child.on('message', (m) => {
          if ((m as { type?: string }).type === 'ready') resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`${scope} ${name} exited with ${code} before it was ready`)));
      });
    },
    startScript: spawn,
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
