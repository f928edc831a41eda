/**
 * The simulator's side of I2C over a unix domain socket: serves a bus (the emulated PCA9685) to the
 * actuator process, whose client is car/actuator's socket transport. The wire format is described
 * and numbered there (SOCKET_I2C); this side validates every request before it touches the bus and
 * disconnects a client that sends a malformed one.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { I2C_BLOCK_MAX, SOCKET_I2C, type I2cBus, type I2cWordBus } from '../actuator/index.ts';

const { writeByte: OP_WRITE_BYTE, readByte: OP_READ_BYTE, writeBlock: OP_WRITE_BLOCK, readBlock: OP_READ_BLOCK, readWord: OP_READ_WORD, writeWord: OP_WRITE_WORD } = SOCKET_I2C.op;
const { ok: STATUS_OK, error: STATUS_ERROR } = SOCKET_I2C.status;
const MAX_REQUEST_BODY = SOCKET_I2C.maxRequestBody;
const EMPTY: Buffer = Buffer.alloc(0);

export interface SimI2cServerStats {
  connections: number;
  requests: number;
  /** clients disconnected for sending a frame that is not a valid request */
  malformedClients: number;
}

export interface SimI2cServer {
  readonly socketPath: string;
  readonly stats: Readonly<SimI2cServerStats>;
  close(): Promise<void>;
}

/** Why a request body is invalid, or undefined when it is well formed. */
function requestProblem(body: Buffer): string | undefined {
  if (body.length < 3) return `request of ${body.length} bytes is shorter than op, address, command`;
  const op = body[0]!;
  const address = body[1]!;
  if (address > 0x7f) return `address ${address} is not a 7-bit I2C address`;
  switch (op) {
    case OP_WRITE_BYTE:
      return body.length === 4 ? undefined : `writeByte request must be 4 bytes, got ${body.length}`;
    case OP_READ_BYTE:
      return body.length === 3 ? undefined : `readByte request must be 3 bytes, got ${body.length}`;
    case OP_READ_WORD:
      return body.length === 3 ? undefined : `readWord request must be 3 bytes, got ${body.length}`;
    case OP_WRITE_WORD:
      return body.length === 5 ? undefined : `writeWord request must be 5 bytes, got ${body.length}`;
    case OP_WRITE_BLOCK: {
      const length = body[3];
      if (length === undefined || length > I2C_BLOCK_MAX) return `writeBlock length must be 0..${I2C_BLOCK_MAX}`;
      return body.length === 4 + length ? undefined : `writeBlock of ${length} bytes carried ${body.length - 4}`;
    }
    case OP_READ_BLOCK: {
      const length = body[3];
      if (body.length !== 4 || length === undefined || length > I2C_BLOCK_MAX) {
        return `readBlock request must be 4 bytes with length 0..${I2C_BLOCK_MAX}`;
      }
      return undefined;
    }
    default:
      return `unknown op ${op}`;
  }
}

function okFrame(payloadLength: number): Buffer {
  const frame = Buffer.allocUnsafe(3 + payloadLength);
  frame.writeUInt16BE(1 + payloadLength, 0);
  frame[2] = STATUS_OK;
  return frame;
}

function errorFrame(err: unknown): Buffer {
  const rawCode = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const code = Buffer.from(typeof rawCode === 'string' ? rawCode.slice(0, 64) : 'EIO', 'latin1');
  const message = Buffer.from(err instanceof Error ? err.message : String(err), 'utf8').subarray(0, 1024);
  const bodyLength = 2 + code.length + message.length;
  const frame = Buffer.allocUnsafe(2 + bodyLength);
  frame.writeUInt16BE(bodyLength, 0);
  frame[2] = STATUS_ERROR;
  frame[3] = code.length;
  code.copy(frame, 4);
  message.copy(frame, 4 + code.length);
  return frame;
}

/** A served bus may carry SMBus word transfers (the INA219's registers); one that does not answers EOPNOTSUPP. */
export type ServedI2cBus = I2cBus & Partial<Pick<I2cWordBus, 'readWord' | 'writeWord'>>;

function wordsUnsupported(): never {
  throw Object.assign(new Error('EOPNOTSUPP: operation not supported (the bus carries no SMBus word transfers)'), { code: 'EOPNOTSUPP', errno: -95 });
}

async function execute(bus: ServedI2cBus, body: Buffer): Promise<Buffer> {
  const op = body[0]!;
  const address = body[1]!;
  const command = body[2]!;
  try {
    switch (op) {
      case OP_WRITE_BYTE:
        await bus.writeByte(address, command, body[3]!);
        return okFrame(0);
      case OP_READ_BYTE: {
        const value = await bus.readByte(address, command);
        const frame = okFrame(1);
        frame[3] = value;
        return frame;
      }
      case OP_READ_WORD: {
        if (!bus.readWord) wordsUnsupported();
        const value = await bus.readWord(address, command);
        const frame = okFrame(2);
        frame.writeUInt16BE(value & 0xffff, 3);
        return frame;
      }
      case OP_WRITE_WORD:
        if (!bus.writeWord) wordsUnsupported();
        await bus.writeWord(address, command, body.readUInt16BE(3));
        return okFrame(0);
      case OP_WRITE_BLOCK: {
        const length = body[3]!;
        const { bytesWritten } = await bus.writeI2cBlock(address, command, length, body.subarray(4, 4 + length));
        const frame = okFrame(1);
        frame[3] = bytesWritten;
        return frame;
      }
      default: {
        const length = body[3]!;
        const frame = okFrame(length);
        const { bytesRead } = await bus.readI2cBlock(address, command, length, frame.subarray(3));
        // A short read answers with what was read.
        frame.writeUInt16BE(1 + bytesRead, 0);
        return bytesRead === length ? frame : frame.subarray(0, 3 + bytesRead);
      }
    }
  } catch (err) {
    return errorFrame(err);
  }
}

/** Serves `bus` to any number of clients on a unix domain socket (a stale socket file is replaced). */
export async function serveI2c(bus: ServedI2cBus, socketPath: string): Promise<SimI2cServer> {
  const stats: SimI2cServerStats = { connections: 0, requests: 0, malformedClients: 0 };
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    let pending: Buffer = EMPTY;
    const queue: Buffer[] = [];
    let busy = false;

    const drain = async (): Promise<void> => {
      busy = true;
      socket.cork();
      while (queue.length > 0 && !socket.destroyed) {
        const reply = await execute(bus, queue.shift()!);
        stats.requests++;
        if (!socket.destroyed) socket.write(reply);
      }
      if (!socket.destroyed) socket.uncork();
      busy = false;
    };

    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (length > MAX_REQUEST_BODY) return malformed();
        if (pending.length < 2 + length) break;
        const body = pending.subarray(2, 2 + length);
        if (requestProblem(body) !== undefined) return malformed();
        queue.push(body);
        pending = pending.subarray(2 + length);
      }
      if (!busy && queue.length > 0) void drain();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));

    function malformed(): void {
      stats.malformedClients++;
      queue.length = 0;
      pending = EMPTY;
      socket.destroy();
    }
  });

  await listen(server, socketPath);
  return {
    socketPath,
    stats,
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await unlink(socketPath).catch(() => undefined);
    },
  };
}

async function listen(server: Server, socketPath: string): Promise<void> {
  const attempt = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    });
  try {
    await attempt();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EADDRINUSE') throw err;
    if (await isLive(socketPath)) {
      throw new Error(`simulated I2C bus at ${socketPath} is already being served by another process`, { cause: err });
    }
    await unlink(socketPath);
    await attempt();
  }
}

function isLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
