/**
 * The INA219 battery gauge over the Linux kernel's own I2C stack: Debian's kernel under QEMU, i2c-stub
 * as the chip at 0x41 (and the PCA9685 at 0x40) on /dev/i2c-0, the real i2c-bus addon, the real driver,
 * and the real actuator service configured with `car.battery`. One boot runs guest/ina219.ts; this
 * file chooses the registers and asserts. Where QEMU or the kernel package cannot be had, every test
 * here fails with the reason.
 *
 * i2c-stub keeps each SMBus word as the adapter hands it over. A real INA219 sends its registers most
 * significant byte first, and SMBus puts the first byte in the word's low byte: so a register value R
 * is what i2cset writes as the word with R's bytes swapped, and a driver that did not swap would read
 * nonsense here as it would on the car.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ina219Calibration } from '../../car/battery/index.ts';
import { bundleForGuest } from './bundle.ts';
import type { Ina219Scenario } from './guest/ina219.ts';
import { runInGuest, shellQuote } from './launcher.ts';

/** The SMBus word a real INA219 presents for a register value: its first (high) byte lands low. */
const onTheWire = (register: number): number => ((register & 0xff) << 8) | (register >> 8);

// A 2S pack at 7.40 V (1850 steps of 4 mV, CNVR set) drawing 1.2 A through 0.1 Ω (120 mV: 12000 steps of 10 µV).
const BUS_7V4 = (1850 << 3) | 0b10;
const SHUNT_120MV = 12_000;
const CURRENT_1A2 = 12_000; // Cal 4096 with a 100 µA LSB
// Reversed: -0.5 A (charging through the shunt), -5000 steps in two's complement.
const SHUNT_MINUS_50MV = 0x10000 - 5000;

const SCENARIO: Ina219Scenario = {
  address: 0x41,
  settings: { shuntOhms: 0.1, maxCurrentA: 2, currentLsbA: 0.0001, busRangeV: 16 },
  direct: [
    { register: 0x02, word: onTheWire(BUS_7V4) },
    { register: 0x01, word: onTheWire(SHUNT_120MV) },
    { register: 0x04, word: onTheWire(CURRENT_1A2) },
  ],
  battery: { address: 0x41, shuntOhms: 0.1, maxCurrentA: 3.2, busRangeV: 32, sampleMs: 100, lowVolts: 6.6, hysteresisVolts: 0.2 },
  healthy: { busRegister: BUS_7V4, shuntRegister: SHUNT_MINUS_50MV },
  flat: { busRegister: (1500 << 3) | 0b10 }, // 6.00 V
};

interface Battery {
  volts: number;
  amps: number;
  low: boolean;
}
interface Result {
  programmed: { config: number; calibration: number };
  reading: { volts: number; amps: number; shuntVolts: number; overflow: boolean };
  afterBrownOut: { reading: { amps: number }; calibrationWord: number };
  absent: { rejected: boolean; code?: string };
  actuator: { calibrationRegister: number; currentRegister: number; healthy: Battery; flat: Battery; lowAfterMs: number; sampleMs: number; healthyAfterMs: number };
}

let result: Result;

beforeAll(async () => {
  const bundle = await bundleForGuest({ 'ina219-guest': 'test/hil/guest/ina219.ts' });
  try {
    const guest = await runInGuest({
      command: `node ${shellQuote(bundle.file('ina219-guest'))}`,
      modules: [{ name: 'i2c_dev' }, { name: 'i2c_stub', params: 'chip_addr=0x40,0x41' }],
      env: { HIL_SCENARIO: JSON.stringify(SCENARIO) },
    });
    console.info(`hil ina219: ${guest.accel}, boot ${(guest.bootMs / 1000).toFixed(1)} s, scenario ${(guest.commandMs / 1000).toFixed(1)} s`);
    if (guest.exitCode !== 0) throw new Error(`the guest scenario exited with ${guest.exitCode}:\n${guest.stderr.slice(-6000)}`);
    result = JSON.parse(guest.stdout) as Result;
  } finally {
    bundle.remove();
  }
}, 300_000);

describe('INA219 on the kernel I2C stack (i2c-stub at 0x41 on /dev/i2c-0)', () => {
  it('programs the configuration and calibration registers most significant byte first', () => {
    const expected = ina219Calibration(SCENARIO.settings);
    expect(expected.calibration).toBe(4096);
    // Cal 0x1000 reaches the chip as 0x10 then 0x00: the SMBus word i2c-stub keeps is 0x0010
    expect(result.programmed.calibration).toBe(0x0010);
    expect(result.programmed.config).toBe(onTheWire(expected.config));
  });

  it('reads the bus voltage, shunt voltage and current the registers hold, as the datasheet scales them', () => {
    expect(result.reading.volts).toBeCloseTo(7.4, 9);
    expect(result.reading.shuntVolts).toBeCloseTo(0.12, 9);
    expect(result.reading.amps).toBeCloseTo(1.2, 9);
    expect(result.reading.overflow).toBe(false);
  });

  it('programs a chip that lost its calibration again, and takes that reading\'s current from the shunt', () => {
    expect(result.afterBrownOut.calibrationWord).toBe(0x0010);
    expect(result.afterBrownOut.reading.amps).toBeCloseTo(1.2, 9);
  });

  it('an address nobody answers is refused by the kernel, not read as zeros', () => {
    // i2c-stub answers ENODEV for an address it does not emulate; a Pi's controller says ENXIO / EREMOTEIO
    expect(result.absent.rejected).toBe(true);
    expect(['ENODEV', 'ENXIO', 'EREMOTEIO']).toContain(result.absent.code);
  });

  it('the actuator reads the gauge on the PCA9685\'s bus and reports volts, a negative current and the low-battery warning', () => {
    const { actuator } = result;
    const calibration = ina219Calibration(SCENARIO.battery);
    expect(actuator.calibrationRegister).toBe(calibration.calibration);
    expect(actuator.healthy.volts).toBeCloseTo(7.4, 3);
    expect(actuator.healthy.amps).toBeCloseTo(((actuator.currentRegister - 0x10000) * calibration.currentLsbA), 4);
    expect(actuator.healthy.amps).toBeCloseTo(-0.5, 2);
    expect(actuator.healthy.low).toBe(false);
    expect(actuator.flat).toMatchObject({ volts: 6, low: true });
    console.info(`hil ina219: low battery reported ${actuator.lowAfterMs} ms after the bus voltage fell (sampleMs ${actuator.sampleMs}, averaged over 2 s)`);
  });
});
