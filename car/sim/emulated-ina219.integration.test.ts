import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectSimI2c, DriveOutputs, Pca9685 } from '../actuator/index.ts';
import { BatteryGauge, CONFIG_RESET_VALUE, Ina219, REG_BUS_VOLTAGE, REG_CALIBRATION, REG_CONFIG, REG_CURRENT, REG_POWER, REG_SHUNT_VOLTAGE, swapBytes } from '../battery/index.ts';
import { SimBattery } from './battery.ts';
import { EmulatedIna219 } from './emulated-ina219.ts';
import { EmulatedPca9685 } from './emulated-pca9685.ts';
import { serveI2c, type SimI2cServer } from './i2c-server.ts';
import { SharedI2cBus } from './shared-i2c-bus.ts';
import { loadTrack, SimWorld } from '../../world/index.ts';

const SETTINGS = { shuntOhms: 0.1, maxCurrentA: 3.2, busRangeV: 32 as const };
const quietLog = { info() {}, warn() {} };

describe('emulated INA219', () => {
  it('powers on as the datasheet says and ignores writes to its read-only registers', async () => {
    const chip = new EmulatedIna219(0x41, 0.1);
    expect(chip.register(REG_CONFIG)).toBe(CONFIG_RESET_VALUE);
    expect(chip.register(REG_CALIBRATION)).toBe(0);
    await chip.writeWord(0x41, REG_BUS_VOLTAGE, swapBytes(0x1234));
    expect(chip.register(REG_BUS_VOLTAGE)).toBe(0);
    await chip.writeWord(0x41, REG_CALIBRATION, swapBytes(0x1001));
    expect(chip.register(REG_CALIBRATION)).toBe(0x1000); // bit 0 is void
    await chip.writeWord(0x41, REG_CONFIG, swapBytes(0x8000)); // RST
    expect(chip.register(REG_CALIBRATION)).toBe(0);
    expect(chip.register(REG_CONFIG)).toBe(CONFIG_RESET_VALUE);
    await expect(chip.readWord(0x40, REG_CONFIG)).rejects.toMatchObject({ code: 'ENXIO' });
  });

  it('converts volts and amps into the registers, sets CNVR, and clears it when the power register is read', async () => {
    const chip = new EmulatedIna219(0x41, 0.1);
    await chip.writeWord(0x41, REG_CALIBRATION, swapBytes(4096));
    chip.measure({ volts: 7.4, amps: 1.2 });
    expect(chip.register(REG_SHUNT_VOLTAGE)).toBe(12_000); // 120 mV in 10 µV steps
    expect(chip.register(REG_BUS_VOLTAGE)).toBe((1850 << 3) | 0b10);
    expect(chip.register(REG_CURRENT)).toBe(12_000); // 12000 × 4096 / 4096
    expect(chip.register(REG_POWER)).toBe(Math.trunc((12_000 * 1850) / 5000));
    expect(swapBytes(await chip.readWord(0x41, REG_BUS_VOLTAGE)) & 0b10).toBe(0b10);
    await chip.readWord(0x41, REG_POWER);
    expect(chip.register(REG_BUS_VOLTAGE) & 0b10).toBe(0);
  });

  it('clips the shunt voltage to the PGA range and flags OVF when the current register overflows', async () => {
    const chip = new EmulatedIna219(0x41, 0.1);
    await chip.writeWord(0x41, REG_CONFIG, swapBytes(0x019f)); // PG /1: ±40 mV
    chip.measure({ volts: 8, amps: -1 });
    expect(chip.register(REG_SHUNT_VOLTAGE)).toBe(0x10000 - 4000);
    await chip.writeWord(0x41, REG_CONFIG, swapBytes(CONFIG_RESET_VALUE));
    await chip.writeWord(0x41, REG_CALIBRATION, swapBytes(0xfffe));
    chip.measure({ volts: 8, amps: 3 });
    expect(chip.register(REG_BUS_VOLTAGE) & 0b1).toBe(1);
  });
});

describe('the real INA219 driver on the simulator\'s shared bus', () => {
  let dir: string | undefined;
  let server: SimI2cServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the simulated battery over the unix socket beside the PCA9685, and sees it drain with throttle', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-ina219-'));
    const pwm = new EmulatedPca9685();
    const gaugeChip = new EmulatedIna219(0x41, SETTINGS.shuntOhms);
    server = await serveI2c(new SharedI2cBus([pwm, gaugeChip]), join(dir, 'i2c.sock'));
    const bus = await connectSimI2c(join(dir, 'i2c.sock'));
    try {
      const outputs = new DriveOutputs(new Pca9685(bus, 0x40));
      await new Pca9685(bus, 0x40).init(60);
      await outputs.start();
      const battery = new SimBattery({ cells: 2, capacityMah: 50, startCharge: 1, idleA: 0.45, motorFullA: 2.4, cellResistanceOhms: 0.03 });
      const world = new SimWorld({ track: loadTrack('default'), pulses: pwm });
      const gauge = new BatteryGauge(bus, { ...SETTINGS, address: 0x41, sampleMs: 500, lowVolts: 6.6, hysteresisVolts: 0.2 }, quietLog);
      const step = (seconds: number) => {
        for (let t = 0; t < seconds; t += 0.1) {
          world.step(0.1);
          battery.step(0.1, world.telemetry().throttle);
          gaugeChip.measure({ volts: battery.volts, amps: battery.amps });
        }
      };

      expect(await gauge.sample()).toBeUndefined(); // programs the chip
      step(1);
      const resting = await gauge.sample();
      expect(resting?.volts).toBeCloseTo(battery.volts, 2);
      expect(resting?.amps).toBeCloseTo(0.45, 2);
      expect(resting?.low).toBe(false);

      await outputs.apply(0, 1);
      step(1);
      const driving = await gauge.sample();
      expect(driving?.amps).toBeCloseTo(0.45 + 2.4, 2);
      expect(driving!.volts).toBeLessThan(resting!.volts); // the sag under load

      // a 50 mAh pack at 2.85 A is flat in about a minute: the warning comes up
      step(70);
      const flat = [await gauge.sample(), await gauge.sample(), await gauge.sample(), await gauge.sample()].at(-1);
      expect(flat?.low).toBe(true);
      expect(flat!.volts).toBeLessThan(6.6);
      expect(gauge.counters).toMatchObject({ failures: 0 });
    } finally {
      await bus.close();
    }
  });

  it('a gauge at an address nobody answers withdraws its reading and counts the failure; the PCA9685 still works', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-ina219-'));
    const pwm = new EmulatedPca9685();
    server = await serveI2c(new SharedI2cBus([pwm]), join(dir, 'i2c.sock'));
    const bus = await connectSimI2c(join(dir, 'i2c.sock'));
    try {
      const warnings: string[] = [];
      const gauge = new BatteryGauge(bus, { ...SETTINGS, address: 0x45, sampleMs: 500, lowVolts: 6.6, hysteresisVolts: 0.2 }, { info() {}, warn: (_o, msg) => warnings.push(msg) });
      expect(await gauge.sample()).toBeUndefined();
      expect(await gauge.sample()).toBeUndefined();
      expect(gauge.counters.failures).toBe(2); // each programming attempt fails
      expect(warnings).toHaveLength(1); // logged when it starts, not at every sample
      await new Pca9685(bus, 0x40).init(60);
      expect(pwm.frequencyHz()).toBeGreaterThan(55);
      // the PCA9685 carries no SMBus word transfers in the emulation: refused, not misread
      await expect(new Ina219(bus, 0x40, SETTINGS).read()).rejects.toMatchObject({ code: 'EOPNOTSUPP' });
    } finally {
      await bus.close();
    }
  });
});
