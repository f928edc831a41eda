import { describe, expect, it } from 'vitest';
import {
  CONFIG_RESET_VALUE,
  Ina219,
  Ina219ConfigError,
  REG_BUS_VOLTAGE,
  REG_CALIBRATION,
  REG_CONFIG,
  REG_CURRENT,
  REG_SHUNT_VOLTAGE,
  currentRegisterFor,
  decodeBusVoltage,
  decodeShuntVoltage,
  ina219Calibration,
  powerRegisterFor,
  swapBytes,
} from './ina219.ts';

/** A chip's register file as an SMBus adapter presents it: words with the first (most significant) byte low. */
function wordBus(registers: Record<number, number>) {
  const writes: { register: number; word: number }[] = [];
  return {
    writes,
    registers,
    async readWord(address: number, register: number): Promise<number> {
      if (address !== 0x41) throw Object.assign(new Error('ENXIO'), { code: 'ENXIO' });
      return swapBytes(registers[register] ?? 0);
    },
    async writeWord(address: number, register: number, word: number): Promise<void> {
      if (address !== 0x41) throw Object.assign(new Error('ENXIO'), { code: 'ENXIO' });
      writes.push({ register, word });
      registers[register] = swapBytes(word);
    },
  };
}

describe('INA219 register maths (TI SBOS448G)', () => {
  it('reads the bus voltage from bits 15..3 in 4 mV steps, with CNVR (bit 1) and OVF (bit 0)', () => {
    // 8.6.3.2: full scale 32 V is 8000 (0x1F40) steps of 4 mV, i.e. the register 0x1F40 << 3
    expect(decodeBusVoltage(0x1f40 << 3)).toEqual({ volts: 32, conversionReady: false, overflow: false });
    expect(decodeBusVoltage((2100 << 3) | 0b10).volts).toBeCloseTo(8.4, 9);
    expect(decodeBusVoltage((2100 << 3) | 0b10)).toMatchObject({ conversionReady: true, overflow: false });
    expect(decodeBusVoltage((2100 << 3) | 0b01)).toMatchObject({ conversionReady: false, overflow: true });
    // bit 2 is reserved and never counted
    expect(decodeBusVoltage((2100 << 3) | 0b100).volts).toBeCloseTo(8.4, 9);
  });

  it('reads the shunt voltage as two\'s complement in 10 µV steps, for each PGA range (Table 7)', () => {
    expect(decodeShuntVoltage(0x7d00)).toBeCloseTo(0.32, 9); // +320 mV, PGA /8
    expect(decodeShuntVoltage(0x8300)).toBeCloseTo(-0.32, 9); // -320 mV, PGA /8
    expect(decodeShuntVoltage(0x0fa0)).toBeCloseTo(0.04, 9); // +40 mV, PGA /1
    expect(decodeShuntVoltage(0xf060)).toBeCloseTo(-0.04, 9); // -40 mV, PGA /1: the sign extended
    expect(decodeShuntVoltage(0x0001)).toBeCloseTo(0.00001, 12);
    expect(decodeShuntVoltage(0xffff)).toBeCloseTo(-0.00001, 12);
  });

  it('programs the calibration as equation 1 says, and the current LSB back from it', () => {
    // 8.5.1's procedure for a 0.1 Ω shunt and 2 A expected: Minimum_LSB 61 µA, a round 100 µA chosen,
    // Cal = trunc(0.04096 / (0.0001 × 0.1)) = 4096
    const exact = ina219Calibration({ shuntOhms: 0.1, maxCurrentA: 2, currentLsbA: 0.0001, busRangeV: 32 });
    expect(exact.calibration).toBe(4096);
    expect(exact.currentLsbA).toBeCloseTo(0.0001, 12);
    expect(exact.powerLsbW).toBeCloseTo(0.002, 12); // Power_LSB = 20 × Current_LSB
    expect(exact.pgaRangeMv).toBe(320);
    // the breakout's 3.2 A on 0.1 Ω: Minimum_LSB = 3.2 / 32767, Cal truncated (bit 0 void)
    const board = ina219Calibration({ shuntOhms: 0.1, maxCurrentA: 3.2, busRangeV: 32 });
    expect(board.calibration).toBe(Math.trunc(0.04096 / ((3.2 / 32767) * 0.1)) & 0xfffe);
    expect(board.currentLsbA * 32767).toBeGreaterThanOrEqual(3.2 - 1e-9);
    expect(() => ina219Calibration({ shuntOhms: 0.1, maxCurrentA: 2, busRangeV: 32, currentLsbA: 0.00005 })).toThrow(/below the minimum LSB/);
  });

  it('picks the smallest PGA range that holds the expected shunt voltage, and the bus range asked for', () => {
    const small = ina219Calibration({ shuntOhms: 0.1, maxCurrentA: 0.35, busRangeV: 16 });
    expect(small.pgaRangeMv).toBe(40);
    // BRNG 0, PG 00, BADC and SADC 1111 (128 samples), MODE 111
    expect(small.config).toBe(0b0_0_0_00_1111_1111_111);
    const big = ina219Calibration({ shuntOhms: 0.01, maxCurrentA: 20, busRangeV: 32 });
    expect(big.pgaRangeMv).toBe(320);
    expect(big.config).toBe(0b0_0_1_11_1111_1111_111);
    expect(() => ina219Calibration({ shuntOhms: 0.1, maxCurrentA: 5, busRangeV: 32 })).toThrow(/500\.0 mV: the INA219 measures at most 320 mV/);
    expect(() => ina219Calibration({ shuntOhms: 0, maxCurrentA: 1, busRangeV: 32 })).toThrow(Ina219ConfigError);
  });

  it('computes current and power registers as the chip does (equations 4 and 5)', () => {
    // 10 mV over the shunt (1000 steps) with Cal 4096: Current = 1000 × 4096 / 4096 = 1000 (0.1 A at 100 µA)
    expect(currentRegisterFor(1000, 4096)).toBe(1000);
    expect(currentRegisterFor(0x10000 - 1000, 4096)).toBe(-1000);
    // Power = 1000 × 3000 / 5000 = 600 (1.2 W at 2 mW): 12 V on the bus is 3000 steps
    expect(powerRegisterFor(1000, 3000 << 3)).toBe(600);
  });

  it('swaps SMBus words to the chip\'s most-significant-byte-first registers', () => {
    expect(swapBytes(0x9f39)).toBe(0x399f);
    expect(swapBytes(swapBytes(0x1234))).toBe(0x1234);
  });
});

describe('INA219 driver', () => {
  it('writes the configuration and then the calibration, each as the chip expects it on the wire', async () => {
    const bus = wordBus({ [REG_CONFIG]: CONFIG_RESET_VALUE });
    const chip = new Ina219(bus, 0x41, { shuntOhms: 0.1, maxCurrentA: 2, currentLsbA: 0.0001, busRangeV: 16 });
    await chip.init();
    expect(bus.writes.map((w) => w.register)).toEqual([REG_CONFIG, REG_CALIBRATION]);
    // Cal 4096 = 0x1000: MSB 0x10 goes first, so the SMBus word is 0x0010
    expect(bus.writes[1]!.word).toBe(0x0010);
    expect(bus.registers[REG_CALIBRATION]).toBe(4096);
    expect(bus.registers[REG_CONFIG]).toBe(chip.calibration.config);
  });

  it('reads volts from the bus register and amps from the current register', async () => {
    const bus = wordBus({ [REG_BUS_VOLTAGE]: (1850 << 3) | 0b10, [REG_SHUNT_VOLTAGE]: 12_000, [REG_CALIBRATION]: 4096, [REG_CURRENT]: 12_000 });
    const chip = new Ina219(bus, 0x41, { shuntOhms: 0.1, maxCurrentA: 2, currentLsbA: 0.0001, busRangeV: 32 });
    const reading = await chip.read();
    expect(reading.volts).toBeCloseTo(7.4, 9);
    expect(reading.shuntVolts).toBeCloseTo(0.12, 9);
    expect(reading.amps).toBeCloseTo(1.2, 9);
    expect(reading.overflow).toBe(false);
  });

  it('takes amps from the shunt voltage when the chip flags OVF, and reprograms a chip that lost its calibration', async () => {
    const bus = wordBus({ [REG_BUS_VOLTAGE]: (1850 << 3) | 0b01, [REG_SHUNT_VOLTAGE]: 0x10000 - 5000, [REG_CALIBRATION]: 4096, [REG_CURRENT]: 0x7fff });
    const chip = new Ina219(bus, 0x41, { shuntOhms: 0.1, maxCurrentA: 2, currentLsbA: 0.0001, busRangeV: 32 });
    const overflowed = await chip.read();
    expect(overflowed.overflow).toBe(true);
    expect(overflowed.amps).toBeCloseTo(-0.5, 9);
    bus.registers[REG_BUS_VOLTAGE] = 1850 << 3;
    bus.registers[REG_CALIBRATION] = 0; // a brown-out reset the chip
    const afterReset = await chip.read();
    expect(afterReset.amps).toBeCloseTo(-0.5, 9);
    expect(bus.registers[REG_CALIBRATION]).toBe(4096);
  });

  it('refuses an address its A0/A1 pins cannot select, and passes on a chip that does not answer', async () => {
    expect(() => new Ina219(wordBus({}), 0x70, { shuntOhms: 0.1, maxCurrentA: 3.2, busRangeV: 32 })).toThrow(/0x40\.\.0x4f/);
    const absent = new Ina219(wordBus({}), 0x44, { shuntOhms: 0.1, maxCurrentA: 3.2, busRangeV: 32 });
    await expect(absent.read()).rejects.toMatchObject({ code: 'ENXIO' });
  });
});
