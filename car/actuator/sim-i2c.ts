/**
 * An I2C bus carried over a unix domain socket, so the actuator process drives the emulated
 * PCA9685 that lives inside the simulator process through exactly the calls it would make on
 * /dev/i2c-1.
 *
 * Wire format, both directions: u16 big-endian body length, then the body.
 *   request  = op u8, address u8, command u8, then per op:
 *              1 writeByte: byte u8 | 2 readByte: - | 3 writeBlock: length u8, data | 4 readBlock: length u8
 *   response = status u8 (0 ok, 1 error), then
 *              ok: writeByte - | readByte value u8 | writeBlock bytesWritten u8 | readBlock data
 *              error: code length u8, code (ASCII), message (UTF-8)
 * Requests on one connection are answered in order, so a client may pipeline them.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { checkBlockArgs, I2C_BLOCK_MAX, type I2cBus } from './i2c.ts';

const OP_WRITE_BYTE = 1;
const OP_READ_BYTE = 2;
const OP_WRITE_BLOCK = 3;
const OP_READ_BLOCK = 4;
const STATUS_OK = 0;
const STATUS_ERROR = 1;
const MAX_REQUEST_BODY = 4 + I2C_BLOCK_MAX;
const MAX_RESPONSE_BODY = 0xffff;
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

async function execute(bus: I2cBus, body: Buffer): Promise<Buffer> {
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
export async function serveI2c(bus: I2cBus, socketPath: string): Promise<SimI2cServer> {
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

interface PendingRequest {
  op: number;
  /** the caller's buffer for readI2cBlock, filled on reply */
  buffer: Buffer | undefined;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

class SimI2cClient implements I2cBus {
  private readonly inFlight: PendingRequest[] = [];
  private received: Buffer = EMPTY;
  private failure: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly socketPath: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new Error(`simulated I2C bus at ${socketPath} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new Error(`simulated I2C bus at ${socketPath} closed`)));
  }

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    checkAddressCommand(address, command);
    checkByteValue('byte', byte);
    const frame = Buffer.allocUnsafe(6);
    frame.writeUInt16BE(4, 0);
    frame[2] = OP_WRITE_BYTE;
    frame[3] = address;
    frame[4] = command;
    frame[5] = byte;
    return this.send(frame, OP_WRITE_BYTE, undefined) as Promise<void>;
  }

  async readByte(address: number, command: number): Promise<number> {
    checkAddressCommand(address, command);
    const frame = Buffer.allocUnsafe(5);
    frame.writeUInt16BE(3, 0);
    frame[2] = OP_READ_BYTE;
    frame[3] = address;
    frame[4] = command;
    return this.send(frame, OP_READ_BYTE, undefined) as Promise<number>;
  }

  async writeI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesWritten: number; buffer: Buffer }> {
    checkAddressCommand(address, command);
    checkBlockArgs(length, buffer);
    const frame = Buffer.allocUnsafe(6 + length);
    frame.writeUInt16BE(4 + length, 0);
    frame[2] = OP_WRITE_BLOCK;
    frame[3] = address;
    frame[4] = command;
    frame[5] = length;
    buffer.copy(frame, 6, 0, length);
    return this.send(frame, OP_WRITE_BLOCK, buffer) as Promise<{ bytesWritten: number; buffer: Buffer }>;
  }

  async readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesRead: number; buffer: Buffer }> {
    checkAddressCommand(address, command);
    checkBlockArgs(length, buffer);
    const frame = Buffer.allocUnsafe(6);
    frame.writeUInt16BE(4, 0);
    frame[2] = OP_READ_BLOCK;
    frame[3] = address;
    frame[4] = command;
    frame[5] = length;
    return this.send(frame, OP_READ_BLOCK, buffer) as Promise<{ bytesRead: number; buffer: Buffer }>;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private send(frame: Buffer, op: number, buffer: Buffer | undefined): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.inFlight.push({ op, buffer, resolve, reject });
      this.socket.write(frame);
    });
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (this.received.length >= 2) {
      const length = this.received.readUInt16BE(0);
      if (this.received.length < 2 + length) break;
      const body = this.received.subarray(2, 2 + length);
      this.received = this.received.subarray(2 + length);
      const request = this.inFlight.shift();
      if (request === undefined || length === 0 || length > MAX_RESPONSE_BODY) {
        this.socket.destroy();
        this.fail(new Error(`simulated I2C bus at ${this.socketPath} sent an unexpected reply`));
        return;
      }
      settle(request, body);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const request of this.inFlight.splice(0)) request.reject(this.failure);
  }
}

function settle(request: PendingRequest, body: Buffer): void {
  if (body[0] === STATUS_ERROR) {
    const codeLength = body[1] ?? 0;
    const code = body.toString('latin1', 2, 2 + codeLength);
    const err = new Error(body.toString('utf8', 2 + codeLength)) as Error & { code: string };
    err.code = code;
    request.reject(err);
    return;
  }
  switch (request.op) {
    case OP_WRITE_BYTE:
      request.resolve(undefined);
      return;
    case OP_READ_BYTE:
      request.resolve(body[1] ?? 0);
      return;
    case OP_WRITE_BLOCK:
      request.resolve({ bytesWritten: body[1] ?? 0, buffer: request.buffer });
      return;
    default: {
      const bytesRead = body.length - 1;
      body.copy(request.buffer!, 0, 1);
      request.resolve({ bytesRead, buffer: request.buffer });
    }
  }
}

function checkAddressCommand(address: number, command: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0x7f) {
    throw new RangeError(`Invalid I2C address ${address}`);
  }
  checkByteValue('command', command);
}

function checkByteValue(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`Invalid I2C ${name} ${value}: must be an integer 0..255`);
  }
}

/** Connects to a bus served by serveI2c; rejects with a clear error when nothing serves the path. */
export function connectSimI2c(socketPath: string): Promise<I2cBus> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const onError = (err: Error & { code?: string }): void => {
      socket.destroy();
      reject(
        new Error(`simulated I2C bus at ${socketPath} not reachable: is the sim service running? (${err.code ?? err.message})`, {
          cause: err,
        }),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new SimI2cClient(socket, socketPath));
    });
  });
}
