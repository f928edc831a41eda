/**
 * Several emulated chips on one simulated I2C bus, as on the car: each transfer goes to the chip that
 * answers its address (the PCA9685 at 0x40, the INA219 at 0x41); an address nobody answers gets the
 * kernel's ENXIO, and a transfer a chip does not carry gets EOPNOTSUPP.
 */
import type { I2cFuncs, I2cWordBus } from '../actuator/index.ts';
import { noAckError } from './emulated-pca9685.ts';

/** A chip on the bus: its address and the transfers it answers. */
export type BusDevice = { readonly address: number } & Partial<Omit<I2cWordBus, 'close' | 'i2cFuncs'>>;

function unsupported(op: string, address: number): Error {
  return Object.assign(new Error(`EOPNOTSUPP: the device at 0x${address.toString(16)} does not answer ${op}`), { code: 'EOPNOTSUPP', errno: -95 });
}

export class SharedI2cBus implements I2cWordBus {
  private readonly devices = new Map<number, BusDevice>();
  private closed = false;

  constructor(devices: readonly BusDevice[], private readonly funcs?: () => Promise<I2cFuncs>) {
    for (const device of devices) {
      if (this.devices.has(device.address)) throw new RangeError(`two simulated chips at I2C address 0x${device.address.toString(16)}`);
      this.devices.set(device.address, device);
    }
  }

  private device(address: number, op: 'read' | 'write'): BusDevice {
    if (this.closed) throw Object.assign(new Error('I2C bus closed'), { code: 'EBADF' });
    const device = this.devices.get(address);
    if (!device) throw noAckError(address, op);
    return device;
  }

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    const device = this.device(address, 'write');
    if (!device.writeByte) throw unsupported('byte writes', address);
    return device.writeByte(address, command, byte);
  }

  async readByte(address: number, command: number): Promise<number> {
    const device = this.device(address, 'read');
    if (!device.readByte) throw unsupported('byte reads', address);
    return device.readByte(address, command);
  }

  async readWord(address: number, command: number): Promise<number> {
    const device = this.device(address, 'read');
    if (!device.readWord) throw unsupported('word reads', address);
    return device.readWord(address, command);
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    const device = this.device(address, 'write');
    if (!device.writeWord) throw unsupported('word writes', address);
    return device.writeWord(address, command, word);
  }

  async writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }> {
    const device = this.device(address, 'write');
    if (!device.writeI2cBlock) throw unsupported('I2C block writes', address);
    return device.writeI2cBlock(address, command, length, buffer);
  }

  async readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }> {
    const device = this.device(address, 'read');
    if (!device.readI2cBlock) throw unsupported('I2C block reads', address);
    return device.readI2cBlock(address, command, length, buffer);
  }

  async i2cFuncs(): Promise<I2cFuncs> {
    return this.funcs ? this.funcs() : { i2c: false, smbusReadByte: true, smbusWriteByte: true, smbusReadI2cBlock: true, smbusWriteI2cBlock: true };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
