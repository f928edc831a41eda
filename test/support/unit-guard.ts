/**
 * Setup file of the `unit` vitest project: a unit test starts no child process and opens no socket.
 * Each way out of the process throws, naming what was tried and where such a test belongs, so a slow
 * or port-hungry test cannot settle in the fast loop unnoticed.
 */
import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { vi } from 'vitest';

const WHERE = 'a test that does belongs in the integration project: test/integration/ or a *.integration.test.ts file (see vitest.config.ts)';

export function refusal(what: string): Error {
  return new Error(`unit tests start no processes and open no sockets: ${what} refused; ${WHERE}`);
}

function refuse(what: string) {
  return () => {
    throw refusal(what);
  };
}

const processStarters = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
for (const name of processStarters) {
  (childProcess as unknown as Record<string, unknown>)[name] = refuse(`child_process.${name}`);
}
net.Server.prototype.listen = refuse('net.Server.listen (http, fastify.listen, socket.io)');
net.Socket.prototype.connect = refuse('net.Socket.connect (fetch, http.request, socket.io-client)');
dgram.Socket.prototype.bind = refuse('dgram bind');
dgram.Socket.prototype.send = refuse('dgram send');
// `import { spawn } from 'node:child_process'` reads the ESM facade: copy the refusals into it.
syncBuiltinESMExports();

// libzmq opens its sockets in C++, past net: refuse bind and connect on every socket class. Keys
// (curveKeyPair) and in-process `inproc://` endpoints stay usable.
vi.mock('zeromq', async (importOriginal) => {
  const zmq = await importOriginal<Record<string, unknown>>();
  const guarded: Record<string, unknown> = { ...zmq };
  for (const [name, value] of Object.entries(zmq)) {
    if (typeof value !== 'function' || !isSocketClass(value)) continue;
    const Base = value as new (...args: never[]) => { bind(address: string): Promise<void>; connect(address: string): void };
    guarded[name] = class extends Base {
      override bind(address: string): Promise<void> {
        if (address.startsWith('inproc://')) return super.bind(address);
        throw refusal(`zeromq ${name}.bind(${address})`);
      }
      override connect(address: string): void {
        if (address.startsWith('inproc://')) return super.connect(address);
        throw refusal(`zeromq ${name}.connect(${address})`);
      }
    };
  }
  return guarded;
});

function isSocketClass(value: unknown): boolean {
  const prototype = (value as { prototype?: unknown }).prototype;
  return typeof prototype === 'object' && prototype !== null && typeof (prototype as { bind?: unknown }).bind === 'function' && 'connect' in prototype;
}
