/**
 * The I2C seam: the driver talks to this interface, so the real bus (i2c-bus), the simulator's
 * emulated PCA9685 (car/sim) and the socket transport to it (socket-i2c.ts) are interchangeable below it.
 */
import { access, constants } from 'node:fs/promises';
import type * as I2cBusModule from 'i2c-bus';

/**
 * The subset of i2c-bus's PromisifiedBus that the PCA9685 driver uses (SMBus register access);
 * i2c-bus ships no types, so i2c-bus.d.ts declares exactly this subset. `i2cFuncs` is optional: a bus
 * without it (the simulator's socket) is taken to carry I2C block transfers.
 */
export type I2cBus = Omit<I2cBusModule.PromisifiedBus, 'i2cFuncs' | 'readWord' | 'writeWord'> & Partial<Pick<I2cBusModule.PromisifiedBus, 'i2cFuncs'>>;

/**
 * A bus that also carries SMBus word transfers: the INA219 battery gauge's 16-bit registers. The real
 * bus and the simulator's socket both do; the PCA9685 driver needs only I2cBus.
 */
export type I2cWordBus = I2cBus & Pick<I2cBusModule.PromisifiedBus, 'readWord' | 'writeWord'>;

/** The adapter capabilities the driver asks about (a subset of the kernel's I2C_FUNC_* bits). */
export type I2cFuncs = I2cBusModule.I2cFuncs;

/** SMBus caps an I2C block transfer at 32 data bytes. */
export const I2C_BLOCK_MAX = 32;

/** Refuses a block transfer no SMBus controller would carry (RangeError, code EINVAL). */
export function checkBlockArgs(length: number, buffer: Buffer): void {
  const fail = (message: string): never => {
    throw Object.assign(new RangeError(message), { code: 'EINVAL' });
  };
  if (!Number.isInteger(length) || length < 0 || length > I2C_BLOCK_MAX) fail(`Invalid I2C block length ${length}: must be 0..${I2C_BLOCK_MAX}`);
  if (!Buffer.isBuffer(buffer) || buffer.length < length) fail(`I2C block buffer must be a Buffer of at least ${length} bytes`);
}

export class I2cOpenError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'I2cOpenError';
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Opens /dev/i2c-<busNumber> through i2c-bus. i2c-bus opens the device lazily (on the first
 * transfer), so the device node is checked here to fail at start-up with an actionable message.
 */
export async function openHardwareI2c(busNumber: number): Promise<I2cWordBus> {
  if (!Number.isInteger(busNumber) || busNumber < 0) {
    throw new I2cOpenError(`I2C bus must be a non-negative integer or 'sim', got ${String(busNumber)}`, 'EINVAL');
  }
  const device = `/dev/i2c-${busNumber}`;
  try {
    await access(device, constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = errorCode(err) ?? 'EIO';
    if (code === 'ENOENT') {
      throw new I2cOpenError(
        `I2C bus ${busNumber} (${device}) not found: enable I2C (raspi-config) or set i2c.bus to 'sim'`,
        code,
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new I2cOpenError(`I2C bus ${busNumber} (${device}): permission denied: add this user to the 'i2c' group`, code);
    }
    throw new I2cOpenError(`I2C bus ${busNumber} (${device}) cannot be opened: ${(err as Error).message}`, code);
  }
  let i2c: typeof I2cBusModule;
  try {
    i2c = await import('i2c-bus');
  } catch (err) {
    throw new I2cOpenError(`the i2c-bus native module failed to load (${(err as Error).message}): reinstall it on the car`, 'ELIBBAD');
  }
  // CommonJS module: under ESM its exports object is the default export.
  return i2c.default.openPromisified(busNumber);
}
