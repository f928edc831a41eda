/**
 * An INA219 register file behind the I2C bus interface, measuring the simulated battery, so the real
 * INA219 driver (car/battery) runs unchanged in the simulator. Modelled from TI's datasheet (SBOS448G):
 * - registers 00 configuration (power-on 0x399F), 01 shunt voltage, 02 bus voltage, 03 power,
 *   04 current, 05 calibration (power-on 0); 01..04 are read-only; calibration bit 0 reads 0;
 * - the configuration's RST bit resets every register; MODE 000 (power-down) stops conversions;
 * - a conversion: shunt voltage in 10 µV steps clipped to the PGA range, bus voltage in 4 mV steps in
 *   bits 15..3 (clipped to the BRNG range), Current = Shunt × Cal / 4096, Power = Current × Bus / 5000;
 *   CNVR is set by each conversion and cleared by reading the power register; OVF is set when the
 *   current or power sum does not fit its register;
 * - words go out most significant byte first: an SMBus word read sees the bytes swapped, as on the wire.
 * Not modelled: conversion timing and averaging (a conversion happens whenever the sim samples).
 */
import { noAckError } from './emulated-pca9685.ts';
import {
  BUS_CNVR,
  BUS_OVF,
  CONFIG_BRNG,
  CONFIG_PG_SHIFT,
  CONFIG_RESET_VALUE,
  CONFIG_RST,
  PGA_RANGES_MV,
  REG_BUS_VOLTAGE,
  REG_CALIBRATION,
  REG_CONFIG,
  REG_CURRENT,
  REG_POWER,
  REG_SHUNT_VOLTAGE,
  currentRegisterFor,
  powerRegisterFor,
  swapBytes,
} from '../battery/index.ts';

export interface Measured {
  volts: number;
  amps: number;
}

export class EmulatedIna219 {
  private readonly regs = new Uint16Array(6);
  private overflow = false;
  private converted = false;

  constructor(
    readonly address: number,
    /** the shunt resistor on the simulated board, Ω */
    private readonly shuntOhms: number,
  ) {
    this.reset();
  }

  /** One conversion of what the battery delivers now. */
  measure(measured: Measured): void {
    const config = this.regs[REG_CONFIG]!;
    if ((config & 0b111) === 0) return; // power-down: no conversions
    const rangeMv = PGA_RANGES_MV[(config >> CONFIG_PG_SHIFT) & 0b11]!;
    const limit = rangeMv * 100; // 10 µV steps
    const shunt = Math.max(-limit, Math.min(limit, Math.round((measured.amps * this.shuntOhms) / 0.00001)));
    this.regs[REG_SHUNT_VOLTAGE] = shunt & 0xffff;
    const busMax = config & CONFIG_BRNG ? 8191 : 4000; // 32 V range: 13 bits; 16 V range: 16 V
    const bus = Math.max(0, Math.min(busMax, Math.round(measured.volts / 0.004)));
    const cal = this.regs[REG_CALIBRATION]!;
    const current = currentRegisterFor(shunt & 0xffff, cal);
    const power = powerRegisterFor(current, bus << 3);
    this.overflow = current > 32767 || current < -32768 || power > 0xffff;
    this.regs[REG_CURRENT] = Math.max(-32768, Math.min(32767, current)) & 0xffff;
    this.regs[REG_POWER] = Math.min(0xffff, power);
    this.converted = true;
    this.regs[REG_BUS_VOLTAGE] = this.busRegister(bus);
  }

  /** The register as the chip holds it (for tests). */
  register(register: number): number {
    return this.regs[register] ?? 0;
  }

  async readWord(address: number, command: number): Promise<number> {
    this.check(address, command, 'read');
    const value = this.regs[command]!;
    if (command === REG_POWER) {
      this.converted = false;
      this.regs[REG_BUS_VOLTAGE] = this.busRegister(this.regs[REG_BUS_VOLTAGE]! >> 3);
    }
    return swapBytes(value);
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    this.check(address, command, 'write');
    const value = swapBytes(word & 0xffff);
    if (command === REG_CONFIG) {
      if (value & CONFIG_RST) this.reset();
      else {
        this.regs[REG_CONFIG] = value;
        this.converted = false;
      }
    } else if (command === REG_CALIBRATION) {
      this.regs[REG_CALIBRATION] = value & 0xfffe;
    }
    // 01..04 are read-only: the chip ignores writes to them
  }

  private busRegister(bus: number): number {
    return ((bus << 3) | (this.converted ? BUS_CNVR : 0) | (this.overflow ? BUS_OVF : 0)) & 0xffff;
  }

  private reset(): void {
    this.regs.fill(0);
    this.regs[REG_CONFIG] = CONFIG_RESET_VALUE;
    this.overflow = false;
    this.converted = false;
  }

  private check(address: number, command: number, op: 'read' | 'write'): void {
    if (address !== this.address) throw noAckError(address, op);
    if (!Number.isInteger(command) || command < 0 || command > REG_CALIBRATION) {
      throw Object.assign(new Error(`EIO: INA219 has no register 0x${command.toString(16)}`), { code: 'EIO', errno: -5 });
    }
  }
}
