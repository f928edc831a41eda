/**
 * The drive settings whose defaults depend on the hardware: a simulated car is a demo that starts
 * with the pilot driving and keeps driving through a network outage; a real car starts with the
 * driver in charge (at neutral) and stops its pilot when it loses the NUC, unless configured otherwise.
 */
import type { CarConfig } from '../../runtime/index.ts';
import type { DriveMode } from './modes.ts';

export type LinkLossPolicy = 'continue' | 'stop';

/** Real hardware: the PCA9685 on a Linux I2C bus rather than the simulator's emulated one. */
export function hasRealHardware(car: Pick<CarConfig, 'i2c'>): boolean {
  return car.i2c.bus !== 'sim';
}

export function startMode(car: Pick<CarConfig, 'i2c' | 'drive'>): DriveMode {
  return car.drive.mode ?? (hasRealHardware(car) ? 'user' : 'local');
}

export function linkLossPolicy(car: Pick<CarConfig, 'i2c' | 'drive'>): LinkLossPolicy {
  return car.drive.onLinkLoss ?? (hasRealHardware(car) ? 'stop' : 'continue');
}
