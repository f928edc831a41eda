/**
 * Inside the guest: the platform's real service processes, started from the compiled entry point that
 * sits beside this script in the bundle (see ../bundle.ts), each resolved once it reports ready.
 * Their logs go to this process's stderr, so stdout carries only the scenario's JSON result.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN_SERVICE = fileURLToPath(new URL('./run-service.mjs', import.meta.url));

export interface GuestPlatform {
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** forks `run-service <scope> <name>` and resolves once it is ready */
  start(scope: 'car' | 'nuc', name: string, carId?: string): Promise<ChildProcess>;
  /** SIGTERM, and the exit code once it has exited */
  stop(child: ChildProcess): Promise<number | null>;
  stopAll(): Promise<void>;
}

/** A data folder in the guest's tmpfs and one configuration document for every service. */
export function guestPlatform(config: Record<string, unknown>): GuestPlatform {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-hil-'));
  const configFile = path.join(dataDir, 'edge.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const env = { ...process.env, EDGE_DATA_DIR: dataDir, EDGE_CONFIG: configFile, EDGE_LOG_LEVEL: process.env.EDGE_LOG_LEVEL ?? 'warn' };
  const children = new Set<ChildProcess>();
  const stop = (child: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return {
    dataDir,
    env,
    start(scope, name, carId) {
      const child = fork(RUN_SERVICE, [scope, name, ...(carId ? ['--car', carId] : [])], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      children.add(child);
      child.stdout?.pipe(process.stderr);
      child.stderr?.pipe(process.stderr);
      child.once('exit', () => children.delete(child));
      return new Promise((resolve, reject) => {
        child.on('message', (message) => {
          if ((message as { type?: string }).type === 'ready') resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`${scope} ${name} exited with ${code} before it was ready`)));
      });
    },
    stop,
    async stopAll() {
      await Promise.all([...children].map(stop));
    },
  };
}

/** Resolves with the first value `pick` returns for an incoming item; `subscribe` returns its unsubscribe. */
export function nextMatching<T, R>(subscribe: (listener: (item: T) => void) => () => void, pick: (item: T) => R | undefined): Promise<R> {
  return new Promise((resolve) => {
    const unsubscribe = subscribe((item) => {
      const picked = pick(item);
      if (picked === undefined) return;
      unsubscribe();
      resolve(picked);
    });
  });
}
