/**
 * INA219 current/power monitor driver (TI datasheet SBOS448G), over an SMBus word-capable I2C bus.
 * Register names, bits and formulas are the datasheet's (section 8.6).
 *
 * The chip's registers are 16 bits, sent most significant byte first. SMBus word transfers
 * (i2c_smbus_read_word_data, what i2c-bus's readWord does) put the first byte on the wire in the low
 * byte, so every word is swapped on the way in and out, as Linux's own ina2xx driver does with
 * i2c_smbus_read_word_swapped. Register maths is pure and exported for the tests and the simulator.
 */
import type { I2cWordBus } from '../actuator/index.ts';

export const REG_CONFIG = 0x00;
export const REG_SHUNT_VOLTAGE = 0x01;
export const REG_BUS_VOLTAGE = 0x02;
export const REG_POWER = 0x03;
export const REG_CURRENT = 0x04;
export const REG_CALIBRATION = 0x05;

/** Configuration register bits (datasheet Figure 19). */
export const CONFIG_RST = 0x8000;
/** BRNG: 0 = 16 V bus full-scale range, 1 = 32 V */
export const CONFIG_BRNG = 0x2000;
export const CONFIG_PG_SHIFT = 11;
export const CONFIG_BADC_SHIFT = 7;
export const CONFIG_SADC_SHIFT = 3;
/** MODE 111: shunt and bus, continuous */
export const MODE_SHUNT_BUS_CONTINUOUS = 0b111;
/** 12-bit ADC with 128 samples averaged (68.10 ms): a battery gauge wants a quiet number, not a fast one */
export const ADC_12BIT_128_SAMPLES = 0b1111;
/** The power-on value (datasheet Table 6): 32 V, /8, 12-bit 1 sample, shunt and bus continuous. */
export const CONFIG_RESET_VALUE = 0x399f;

/** Bus voltage register: BD12..BD0 in bits 15..3, LSB 4 mV; CNVR bit 1; OVF bit 0. */
export const BUS_VOLTAGE_LSB_V = 0.004;
export const BUS_CNVR = 0x0002;
export const BUS_OVF = 0x0001;
/** Shunt voltage register: two's complement, LSB 10 µV. */
export const SHUNT_VOLTAGE_LSB_V = 0.00001;
/** Calibration = trunc(0.04096 / (Current_LSB × R_SHUNT)) (equation 1); bit 0 always reads 0. */
export const CALIBRATION_SCALE = 0.04096;
/** Power_LSB = 20 × Current_LSB. */
export const POWER_LSB_FACTOR = 20;

/** PGA gain: the shunt voltage full-scale range in mV, and its PG bits. */
export const PGA_RANGES_MV = [40, 80, 160, 320] as const;
export type PgaRangeMv = (typeof PGA_RANGES_MV)[number];
export type BusRangeV = 16 | 32;

export class Ina219ConfigError extends Error {
  override name = 'Ina219ConfigError';
}

export interface Ina219Settings {
  /** the shunt resistor, Ω (0.1 on the common breakout boards) */
  shuntOhms: number;
  /** the largest current expected, A: sets the current LSB and the PGA range */
  maxCurrentA: number;
  busRangeV: BusRangeV;
  /** a rounder current LSB than the minimum (the datasheet's example picks 100 µA); at least maxCurrentA / 32767 */
  currentLsbA?: number;
}

export interface Ina219Calibration {
  /** the calibration register's value */
  calibration: number;
  /** A per bit of the current register, as the calibration value gives it back (after truncation) */
  currentLsbA: number;
  /** W per bit of the power register */
  powerLsbW: number;
  pgaRangeMv: PgaRangeMv;
  /** the configuration register's value */
  config: number;
}

/**
 * The datasheet's programming procedure (8.5.1): the smallest PGA range that holds
 * maxCurrentA × shuntOhms, Minimum_LSB = Max_Expected_I / 32767, Cal = trunc(0.04096 / (LSB × R)).
 * The current LSB is then taken back from the truncated Cal, so readings carry no truncation error.
 */
export function ina219Calibration(settings: Ina219Settings): Ina219Calibration {
  const { shuntOhms, maxCurrentA, busRangeV } = settings;
  if (!(Number.isFinite(shuntOhms) && shuntOhms > 0)) throw new Ina219ConfigError(`shuntOhms must be a positive number of ohms, got ${shuntOhms}`);
  if (!(Number.isFinite(maxCurrentA) && maxCurrentA > 0)) throw new Ina219ConfigError(`maxCurrentA must be a positive number of amps, got ${maxCurrentA}`);
  if (busRangeV !== 16 && busRangeV !== 32) throw new Ina219ConfigError(`busRangeV must be 16 or 32, got ${String(busRangeV)}`);
  const shuntMv = maxCurrentA * shuntOhms * 1000;
  const pgaRangeMv = PGA_RANGES_MV.find((range) => shuntMv <= range + 1e-9);
  if (pgaRangeMv === undefined) {
    throw new Ina219ConfigError(`maxCurrentA ${maxCurrentA} A through a ${shuntOhms} Ω shunt is ${shuntMv.toFixed(1)} mV: the INA219 measures at most 320 mV (use a smaller shunt)`);
  }
  const minimumLsb = maxCurrentA / 32767;
  const chosenLsb = settings.currentLsbA ?? minimumLsb;
  if (!(chosenLsb >= minimumLsb * (1 - 1e-9))) throw new Ina219ConfigError(`currentLsbA ${chosenLsb} A is below the minimum LSB for ${maxCurrentA} A (${minimumLsb} A): the current register would overflow`);
  const calibration = Math.trunc(CALIBRATION_SCALE / (chosenLsb * shuntOhms) + 1e-9) & 0xfffe;
  if (calibration < 2) throw new Ina219ConfigError(`maxCurrentA ${maxCurrentA} A with a ${shuntOhms} Ω shunt gives a calibration value below 2: the shunt is too large for that current`);
  const currentLsbA = CALIBRATION_SCALE / (calibration * shuntOhms);
  const pg = PGA_RANGES_MV.indexOf(pgaRangeMv);
  const config =
    (busRangeV === 32 ? CONFIG_BRNG : 0) |
    (pg << CONFIG_PG_SHIFT) |
    (ADC_12BIT_128_SAMPLES << CONFIG_BADC_SHIFT) |
    (ADC_12BIT_128_SAMPLES << CONFIG_SADC_SHIFT) |
    MODE_SHUNT_BUS_CONTINUOUS;
  return { calibration, currentLsbA, powerLsbW: POWER_LSB_FACTOR * currentLsbA, pgaRangeMv, config };
}

/** Bus voltage register → volts and its status bits. */
export function decodeBusVoltage(register: number): { volts: number; conversionReady: boolean; overflow: boolean } {
  const raw = register & 0xffff;
  return { volts: (raw >> 3) * BUS_VOLTAGE_LSB_V, conversionReady: (raw & BUS_CNVR) !== 0, overflow: (raw & BUS_OVF) !== 0 };
}

/** A register's 16 bits as a two's complement number. */
export function signed16(register: number): number {
  const raw = register & 0xffff;
  return raw & 0x8000 ? raw - 0x10000 : raw;
}

/** Shunt voltage register → volts (two's complement, 10 µV per bit; the sign bits extend for the smaller PGA ranges). */
export function decodeShuntVoltage(register: number): number {
  return signed16(register) * SHUNT_VOLTAGE_LSB_V;
}

/** What the chip itself computes: Current = Shunt × Cal / 4096 (equation 4), truncated, as a signed register. */
export function currentRegisterFor(shuntRegister: number, calibration: number): number {
  return Math.trunc((signed16(shuntRegister) * calibration) / 4096);
}

/** Power = Current × Bus voltage / 5000 (equation 5), the bus voltage in its 4 mV steps. */
export function powerRegisterFor(currentRegister: number, busRegister: number): number {
  return Math.trunc((Math.abs(currentRegister) * ((busRegister & 0xffff) >> 3)) / 5000);
}

/** SMBus word order ↔ the chip's big-endian register. */
export function swapBytes(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

export interface Ina219Reading {
  /** the bus voltage (IN- to ground: the battery's voltage when the shunt is on the high side) */
  volts: number;
  /** positive from IN+ to IN- */
  amps: number;
  /** the shunt voltage, V */
  shuntVolts: number;
  watts: number;
  /** the chip's OVF: its current or power sum overflowed, so amps is taken from the shunt voltage */
  overflow: boolean;
}

export const DEFAULT_INA219_ADDRESS = 0x41;

export class Ina219 {
  readonly calibration: Ina219Calibration;

  constructor(
    private readonly bus: Pick<I2cWordBus, 'readWord' | 'writeWord'>,
    readonly address: number,
    readonly settings: Ina219Settings,
  ) {
    if (!Number.isInteger(address) || address < 0x40 || address > 0x4f) {
      throw new Ina219ConfigError(`INA219 address 0x${address.toString(16)} is not one its A0/A1 pins can select (0x40..0x4f)`);
    }
    this.calibration = ina219Calibration(settings);
  }

  /** Writes the configuration, then the calibration register (which the current and power registers need). */
  async init(): Promise<void> {
    await this.writeRegister(REG_CONFIG, this.calibration.config);
    await this.writeRegister(REG_CALIBRATION, this.calibration.calibration);
  }

  async readRegister(register: number): Promise<number> {
    return swapBytes(await this.bus.readWord(this.address, register));
  }

  async writeRegister(register: number, value: number): Promise<void> {
    await this.bus.writeWord(this.address, register, swapBytes(value & 0xffff));
  }

  /**
   * One reading. A calibration register that reads 0 means the chip was reset (a brown-out): it is
   * programmed again and the current is taken from the shunt voltage this once.
   */
  async read(): Promise<Ina219Reading> {
    const bus = decodeBusVoltage(await this.readRegister(REG_BUS_VOLTAGE));
    const shuntVolts = decodeShuntVoltage(await this.readRegister(REG_SHUNT_VOLTAGE));
    const fromShunt = shuntVolts / this.settings.shuntOhms;
    const calibration = await this.readRegister(REG_CALIBRATION);
    let amps = fromShunt;
    if (calibration === 0) {
      await this.init();
    } else if (!bus.overflow) {
      amps = signed16(await this.readRegister(REG_CURRENT)) * this.calibration.currentLsbA;
    }
    return { volts: bus.volts, amps, shuntVolts, watts: bus.volts * Math.abs(amps), overflow: bus.overflow };
  }
}
