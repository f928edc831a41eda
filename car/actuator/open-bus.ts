/**
 * Chooses the I2C bus from configuration, never from code: a bus number is the real
 * /dev/i2c-N, 'sim' is the simulator's emulated chip over its unix socket.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { I2cOpenError, openHardwareI2c, type I2cWordBus } from './i2c.ts';
import { connectSimI2c } from './socket-i2c.ts';
import { DEFAULT_ADDRESS, DEFAULT_FREQUENCY_HZ, Pca9685 } from './pca9685.ts';
import { DriveOutputs } from './outputs.ts';
import type { SteeringCalibration, ThrottleCalibration } from '../../runtime/index.ts';

export const DEFAULT_SIM_I2C_SOCKET = join(tmpdir(), 'edge-racing-sim-i2c.sock');

/** Where a car's simulator serves its emulated I2C bus: in the car's run directory, one per car. */
export function simI2cSocketPath(runDir: string): string {
  return join(runDir, 'i2c.sock');
}

export interface I2cConfig {
  /** 1 on a Raspberry Pi; 'sim' for the simulator (default) */
  bus: number | 'sim';
  /** the PCA9685's 7-bit address, default 0x40 */
  address?: number;
  /** where the simulator serves its bus when bus is 'sim' */
  simSocket?: string;
}

export async function openConfiguredI2c(config: I2cConfig): Promise<I2cWordBus> {
  const bus: unknown = config.bus;
  if (bus === 'sim') return connectSimI2c(config.simSocket ?? DEFAULT_SIM_I2C_SOCKET);
  if (typeof bus === 'number') return openHardwareI2c(bus);
  throw new I2cOpenError(`unknown I2C bus ${JSON.stringify(bus)}: set i2c.bus to a bus number such as 1, or 'sim'`, 'EINVAL');
}

export interface DriveOutputsConfig {
  i2c: I2cConfig;
  frequencyHz?: number;
  steering?: SteeringCalibration;
  throttle?: ThrottleCalibration;
}

export interface OpenedDriveOutputs {
  bus: I2cWordBus;
  chip: Pca9685;
  outputs: DriveOutputs;
}

/**
 * Validates the calibration before touching the bus, opens it, initialises the chip and arms the
 * ESC at neutral. On any failure the bus is closed and nothing is left driving.
 */
export async function openDriveOutputs(config: DriveOutputsConfig): Promise<OpenedDriveOutputs> {
  const bus = await openConfiguredI2c(config.i2c);
  try {
    const chip = new Pca9685(bus, config.i2c.address ?? DEFAULT_ADDRESS);
    const outputs = new DriveOutputs(chip, config.steering, config.throttle);
    await chip.init(config.frequencyHz ?? DEFAULT_FREQUENCY_HZ);
    await outputs.start();
    return { bus, chip, outputs };
  } catch (err) {
    await bus.close().catch(() => undefined);
    throw err;
  }
}
