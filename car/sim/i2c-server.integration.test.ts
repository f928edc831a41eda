import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectSimI2c, DriveOutputs, Pca9685, type I2cWordBus } from '../actuator/index.ts';
import { EmulatedPca9685 } from './emulated-pca9685.ts';
import { serveI2c, type SimI2cServer } from './i2c-server.ts';

let dir: string;
let socketPath: string;
let server: SimI2cServer | undefined;
const clients: I2cWordBus[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-i2c-'));
  socketPath = join(dir, 'i2c.sock');
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function client(): Promise<I2cWordBus> {
  const bus = await connectSimI2c(socketPath);
  clients.push(bus);
  return bus;
}

describe('simulated I2C over a unix socket', () => {
  it('round-trips every operation to the emulated chip', async () => {
    const chip = new EmulatedPca9685();
    server = await serveI2c(chip, socketPath);
    const bus = await client();
    await bus.writeByte(0x40, 0x00, 0x21);
    expect(await bus.readByte(0x40, 0x00)).toBe(0x21);
    const written = await bus.writeI2cBlock(0x40, 0x06, 4, Buffer.from([0, 0, 0x72, 0x01]));
    expect(written.bytesWritten).toBe(4);
    const target = Buffer.alloc(4);
    const read = await bus.readI2cBlock(0x40, 0x06, 4, target);
    expect(read.bytesRead).toBe(4);
    expect(read.buffer).toBe(target);
    expect([...target]).toEqual([0, 0, 0x72, 0x01]);
    expect(chip.count(0)).toBe(370);
  });

  it('the real driver and outputs work through it, and pulses show up in the simulator', async () => {
    const chip = new EmulatedPca9685();
    server = await serveI2c(chip, socketPath);
    const driver = new Pca9685(await client());
    await driver.init(60);
    const outputs = new DriveOutputs(driver);
    await outputs.start();
    await outputs.apply(-1, 1);
    expect(chip.pulseMicros(1)).toBeCloseTo((460 * 102) / 25, 6);
    expect(chip.pulseMicros(0)).toBeCloseTo((500 * 102) / 25, 6);
    await outputs.stop();
    expect(chip.pulseMicros(0)).toBe(0);
  });

  it('answers pipelined requests in order', async () => {
    const chip = new EmulatedPca9685();
    server = await serveI2c(chip, socketPath);
    const bus = await client();
    await bus.writeByte(0x40, 0x00, 0x21);
    const writes = [];
    for (let i = 0; i < 200; i++) writes.push(bus.writeI2cBlock(0x40, 0x06, 4, Buffer.from([0, 0, i, 0])));
    const reads = [bus.readByte(0x40, 0x08), bus.readByte(0x40, 0x00)];
    await Promise.all(writes);
    expect(await Promise.all(reads)).toEqual([199, 0x21]);
    expect(server.stats.requests).toBe(203);
  });

  it('carries bus errors back with their code', async () => {
    server = await serveI2c(new EmulatedPca9685(), socketPath);
    const bus = await client();
    await expect(bus.writeByte(0x41, 0, 0)).rejects.toMatchObject({ code: 'ENXIO', message: expect.stringMatching(/remote I\/O error/) });
    await expect(bus.writeByte(0x40, 0, 300)).rejects.toThrow(/Invalid I2C byte 300/);
    expect(await bus.readByte(0x40, 0x01)).toBe(0x04); // still usable
  });

  it('disconnects a client sending a malformed frame and keeps serving others', async () => {
    server = await serveI2c(new EmulatedPca9685(), socketPath);
    const good = await client();
    const bad = connect(socketPath);
    await new Promise<void>((resolve) => bad.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => bad.once('close', () => resolve()));
    bad.write(Buffer.from([0x00, 0x03, 0x09, 0x40, 0x00])); // unknown op 9
    await closed;
    expect(server.stats.malformedClients).toBe(1);
    expect(await good.readByte(0x40, 0x00)).toBe(0x11);
  });

  it('carries SMBus word transfers, refuses them where the served bus has none, and drops a short word request', async () => {
    server = await serveI2c(new EmulatedPca9685(), socketPath);
    const bus = await client();
    await expect(bus.readWord(0x40, 0x00)).rejects.toMatchObject({ code: 'EOPNOTSUPP' });
    await expect(bus.writeWord(0x40, 0x00, 0x10000)).rejects.toThrow(/Invalid I2C word 65536/);
    const bad = connect(socketPath);
    await new Promise<void>((resolve) => bad.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => bad.once('close', () => resolve()));
    bad.write(Buffer.from([0x00, 0x04, 0x06, 0x41, 0x05, 0x10])); // writeWord with one byte of its word
    await closed;
    expect(server.stats.malformedClients).toBe(1);
    expect(await bus.readByte(0x40, 0x01)).toBe(0x04); // still usable
  });

  it('disconnects a client announcing an oversized frame', async () => {
    server = await serveI2c(new EmulatedPca9685(), socketPath);
    const bad = connect(socketPath);
    const closed = new Promise<void>((resolve) => bad.once('close', () => resolve()));
    bad.write(Buffer.from([0xff, 0xff, 0x01]));
    await closed;
    expect(server.stats.malformedClients).toBe(1);
  });

  it('says clearly when nothing serves the socket', async () => {
    await expect(connectSimI2c(join(dir, 'missing.sock'))).rejects.toThrow(
      /simulated I2C bus at .*missing\.sock not reachable: is the sim service running\?/,
    );
  });

  it('rejects pending and later requests once the server goes away', async () => {
    server = await serveI2c(new EmulatedPca9685(), socketPath);
    const bus = await client();
    await server.close();
    server = undefined;
    await expect(bus.readByte(0x40, 0)).rejects.toThrow(/simulated I2C bus at .* (closed|failed)/);
  });

  it('replaces a stale socket file but refuses to steal a live one', async () => {
    await writeFile(socketPath, '');
    // a plain file is not a socket: listen fails with EADDRINUSE, the probe fails, the file goes
    server = await serveI2c(new EmulatedPca9685(), socketPath);
    await expect(serveI2c(new EmulatedPca9685(), socketPath)).rejects.toThrow(/already being served/);
    expect(await (await client()).readByte(0x40, 0xfe)).toBe(0x1e);
  });
});
