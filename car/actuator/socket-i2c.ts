/**
 * An I2C bus carried over a unix domain socket: the transport the actuator uses to drive the emulated
 * PCA9685 that lives inside the simulator process (car/sim serves it), through exactly the calls it
 * would make on /dev/i2c-1.
 *
 * Wire format, both directions: u16 big-endian body length, then the body.
 *   request  = op u8, address u8, command u8, then per op:
 *              1 writeByte: byte u8 | 2 readByte: - | 3 writeBlock: length u8, data | 4 readBlock: length u8
 *              5 readWord: - | 6 writeWord: word u16 big-endian (the SMBus word's value)
 *   response = status u8 (0 ok, 1 error), then
 *              ok: writeByte - | readByte value u8 | writeBlock bytesWritten u8 | readBlock data
 *                  readWord value u16 big-endian | writeWord -
 *              error: code length u8, code (ASCII), message (UTF-8)
 * Requests on one connection are answered in order, so a client may pipeline them.
 */
import { createConnection, type Socket } from 'node:net';
import { checkBlockArgs, I2C_BLOCK_MAX, type I2cWordBus } from './i2c.ts';

/** The wire format's numbers, shared with the server in car/sim. */
export const SOCKET_I2C = {
  op: { writeByte: 1, readByte: 2, writeBlock: 3, readBlock: 4, readWord: 5, writeWord: 6 },
  status: { ok: 0, error: 1 },
  /** op, address, command, length and one SMBus block */
  maxRequestBody: 4 + I2C_BLOCK_MAX,
  maxResponseBody: 0xffff,
} as const;

const { writeByte: OP_WRITE_BYTE, readByte: OP_READ_BYTE, writeBlock: OP_WRITE_BLOCK, readBlock: OP_READ_BLOCK, readWord: OP_READ_WORD, writeWord: OP_WRITE_WORD } = SOCKET_I2C.op;
const STATUS_ERROR = SOCKET_I2C.status.error;
const MAX_RESPONSE_BODY = SOCKET_I2C.maxResponseBody;
const EMPTY: Buffer = Buffer.alloc(0);

interface PendingRequest {
  op: number;
  /** the caller's buffer for readI2cBlock, filled on reply */
  buffer: Buffer | undefined;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

class SimI2cClient implements I2cWordBus {
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

  async readWord(address: number, command: number): Promise<number> {
    checkAddressCommand(address, command);
    const frame = Buffer.allocUnsafe(5);
    frame.writeUInt16BE(3, 0);
    frame[2] = OP_READ_WORD;
    frame[3] = address;
    frame[4] = command;
    return this.send(frame, OP_READ_WORD, undefined) as Promise<number>;
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    checkAddressCommand(address, command);
    if (!Number.isInteger(word) || word < 0 || word > 0xffff) throw new RangeError(`Invalid I2C word ${word}: must be an integer 0..65535`);
    const frame = Buffer.allocUnsafe(7);
    frame.writeUInt16BE(5, 0);
    frame[2] = OP_WRITE_WORD;
    frame[3] = address;
    frame[4] = command;
    frame.writeUInt16BE(word, 5);
    return this.send(frame, OP_WRITE_WORD, undefined) as Promise<void>;
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
    case OP_WRITE_WORD:
      request.resolve(undefined);
      return;
    case OP_READ_BYTE:
      request.resolve(body[1] ?? 0);
      return;
    case OP_READ_WORD:
      if (body.length !== 3) {
        request.reject(new Error('simulated I2C bus answered a word read without a word'));
        return;
      }
      request.resolve(body.readUInt16BE(1));
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

/** Connects to a bus served on `socketPath` (car/sim's serveI2c); rejects with a clear error when nothing serves it. */
export function connectSimI2c(socketPath: string): Promise<I2cWordBus> {
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
