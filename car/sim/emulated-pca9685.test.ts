import { describe, expect, it } from 'vitest';
import { EmulatedPca9685 } from './emulated-pca9685.ts';
import { Pca9685 } from '../actuator/index.ts';

const A = 0x40;

/** Wakes the chip with auto-increment on, the state the driver leaves it in. */
async function awake(chip: EmulatedPca9685, prescale = 101): Promise<void> {
  await chip.writeByte(A, 0x00, 0x11);
  await chip.writeByte(A, 0xfe, prescale);
  await chip.writeByte(A, 0x00, 0x21);
}

describe('EmulatedPca9685 power-on state', () => {
  it('holds the datasheet defaults', async () => {
    const chip = new EmulatedPca9685();
    expect(await chip.readByte(A, 0x00)).toBe(0x11);
    expect(await chip.readByte(A, 0x01)).toBe(0x04);
    expect(await chip.readByte(A, 0xfe)).toBe(0x1e);
    expect(await chip.readByte(A, 0x09)).toBe(0x10); // LED0_OFF_H full off
    expect(chip.sleeping).toBe(true);
    expect(chip.frequencyHz()).toBeCloseTo(196.9, 1); // the "200 Hz" default: 25 MHz / (4096 × 31)
    expect(chip.pulseMicros(0)).toBe(0);
  });

  it('does not acknowledge other addresses, like the kernel reports it', async () => {
    const chip = new EmulatedPca9685();
    await expect(chip.writeByte(0x41, 0, 0)).rejects.toMatchObject({ code: 'ENXIO' });
    await expect(chip.readByte(0x41, 0)).rejects.toThrow(/remote I\/O error/);
    await expect(chip.writeByte(A, 0, 256)).rejects.toThrow(/Invalid I2C byte 256/);
    await expect(chip.writeI2cBlock(A, 0x06, 33, Buffer.alloc(33))).rejects.toThrow(/block length 33/);
  });
});

describe('PRE_SCALE and SLEEP', () => {
  it('ignores a PRE_SCALE write while awake, as the chip does', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip, 121);
    await chip.writeByte(A, 0xfe, 60);
    expect(await chip.readByte(A, 0xfe)).toBe(121);
    expect(chip.frequencyHz()).toBeCloseTo(50.0, 0);
  });

  it('forces PRE_SCALE values below 3 up to 3', async () => {
    const chip = new EmulatedPca9685();
    await chip.writeByte(A, 0xfe, 1);
    expect(await chip.readByte(A, 0xfe)).toBe(3);
  });

  it('outputs nothing while asleep, and holds outputs after sleep until RESTART', async () => {
    let clock = 0;
    const chip = new EmulatedPca9685({ now: () => clock });
    await awake(chip);
    await chip.writeI2cBlock(A, 0x06, 4, Buffer.from([0, 0, 0x72, 0x01]));
    expect(chip.pulseMicros(0)).toBeGreaterThan(0);
    await chip.writeByte(A, 0x00, 0x31); // sleep with PWM running
    expect(chip.pulseMicros(0)).toBe(0);
    expect((await chip.readByte(A, 0x00)) & 0x80).toBe(0x80); // RESTART set
    await chip.writeByte(A, 0x00, 0x21); // wake
    expect(chip.pulseMicros(0)).toBe(0);
    clock = 1;
    await chip.writeByte(A, 0x00, 0xa1); // restart
    expect(chip.pulseMicros(0)).toBeGreaterThan(0);
    expect((await chip.readByte(A, 0x00)) & 0x80).toBe(0);
    expect(chip.violations).toEqual([]);
  });

  it('records RESTART written sooner than 500 µs after waking', async () => {
    const chip = new EmulatedPca9685({ now: () => 0 });
    await awake(chip);
    await chip.writeI2cBlock(A, 0x06, 4, Buffer.from([0, 0, 0x72, 0x01]));
    await chip.writeByte(A, 0x00, 0x31);
    await chip.writeByte(A, 0x00, 0x21);
    await chip.writeByte(A, 0x00, 0xa1);
    expect(chip.violations).toEqual(['RESTART written less than 500 µs after clearing SLEEP']);
  });
});

describe('LEDn registers and pulse widths', () => {
  it('auto-increments across a block write when AI is set', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip);
    await chip.writeI2cBlock(A, 0x0a, 8, Buffer.from([0, 0, 0x77, 0x01, 0, 0, 0x72, 0x01]));
    expect(chip.count(1)).toBe(375);
    expect(chip.count(2)).toBe(370);
  });

  it('wraps from LED15_OFF_H to MODE1 under auto-increment', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip);
    await chip.writeI2cBlock(A, 0x45, 2, Buffer.from([0x00, 0x21]));
    expect(await chip.readByte(A, 0x45)).toBe(0);
    expect(await chip.readByte(A, 0x00)).toBe(0x21);
  });

  it('without AI, every byte of a block lands on the first register', async () => {
    const chip = new EmulatedPca9685();
    await chip.writeByte(A, 0x00, 0x01); // awake, AI off
    await chip.writeI2cBlock(A, 0x06, 4, Buffer.from([0x11, 0x22, 0x33, 0x44]));
    expect(await chip.readByte(A, 0x06)).toBe(0x44);
    expect(await chip.readByte(A, 0x07)).toBe(0x00);
    const read = await chip.readI2cBlock(A, 0x06, 3, Buffer.alloc(3));
    expect([...read.buffer]).toEqual([0x44, 0x44, 0x44]);
  });

  it('gives ≈1510 µs for count 370 at PRE_SCALE 101 (59.84 Hz; 1505 µs at exactly 60 Hz)', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip, 101);
    await chip.writeI2cBlock(A, 0x06, 4, Buffer.from([0, 0, 370 & 0xff, 370 >> 8]));
    expect(chip.count(0)).toBe(370);
    expect(chip.pulseMicros(0)).toBeCloseTo((370 * 102) / 25, 6);
    expect(Math.abs(chip.pulseMicros(0) - 1505)).toBeLessThan(6);
  });

  it('uses the ON count as the start of the pulse, wrapping around the period', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip);
    await chip.writeI2cBlock(A, 0x06, 4, Buffer.from([0x00, 0x0f, 0x64, 0x00])); // on 3840, off 100
    expect(chip.count(0)).toBe(356);
  });

  it('honours full-on and full-off bits, full-off winning, and masks read-only bits', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip);
    await chip.writeI2cBlock(A, 0x06, 4, Buffer.from([0, 0xf0, 0, 0]));
    expect(await chip.readByte(A, 0x07)).toBe(0x10);
    expect(chip.count(0)).toBe(4096);
    expect(chip.pulseMicros(0)).toBeCloseTo(1e6 / chip.frequencyHz(), 6);
    await chip.writeByte(A, 0x09, 0x10);
    expect(chip.count(0)).toBe(0);
    expect(chip.pulseMicros(0)).toBe(0);
  });

  it('ALL_LED registers load every channel and read back as zero', async () => {
    const chip = new EmulatedPca9685();
    await awake(chip);
    await chip.writeI2cBlock(A, 0xfa, 4, Buffer.from([0, 0, 0x2c, 0x01]));
    for (let ch = 0; ch < 16; ch++) expect(chip.count(ch)).toBe(300);
    expect(await chip.readByte(A, 0xfc)).toBe(0);
    await chip.writeByte(A, 0xfd, 0x10);
    for (let ch = 0; ch < 16; ch++) expect(chip.pulseMicros(ch)).toBe(0);
  });

  it('records writes to reserved registers as violations and ignores them', async () => {
    const chip = new EmulatedPca9685();
    await chip.writeByte(A, 0x50, 7);
    expect(await chip.readByte(A, 0x50)).toBe(0);
    expect(chip.violations).toEqual(['write 0x07 to reserved register 0x50']);
  });
});

describe('write log and listener', () => {
  it('logs every byte with its register and notifies listeners', async () => {
    const chip = new EmulatedPca9685({ logCapacity: 3 });
    const seen: string[] = [];
    const off = chip.onWrite((register, value) => seen.push(`${register}:${value}`));
    await awake(chip);
    await chip.writeI2cBlock(A, 0x06, 2, Buffer.from([1, 2]));
    off();
    await chip.writeByte(A, 0x01, 0x04);
    expect(seen).toEqual(['0:17', '254:101', '0:33', '6:1', '7:2']);
    expect(chip.writeCount).toBe(6);
    expect(chip.writeLog()).toEqual([
      { register: 6, value: 1 },
      { register: 7, value: 2 },
      { register: 1, value: 4 },
    ]);
    chip.clearWriteLog();
    expect(chip.writeLog()).toEqual([]);
  });
});

describe('driver and emulator together', () => {
  it('init then setCount gives the calibrated pulse widths', async () => {
    const chip = new EmulatedPca9685();
    const driver = new Pca9685(chip);
    await driver.init(60);
    expect(chip.sleeping).toBe(false);
    expect(chip.frequencyHz()).toBeCloseTo(driver.outputFrequencyHz!, 9);
    await driver.setCount(0, 370);
    await driver.setCount(1, 460);
    expect(chip.pulseMicros(0)).toBeCloseTo(1509.6, 1);
    expect(chip.pulseMicros(1)).toBeCloseTo(1876.8, 1);
    await driver.allOff();
    expect(chip.pulseMicros(0)).toBe(0);
    expect(chip.pulseMicros(1)).toBe(0);
  });

  it('re-init of a chip left driving turns outputs off and restarts cleanly', async () => {
    const chip = new EmulatedPca9685();
    const driver = new Pca9685(chip);
    await driver.init(60);
    await driver.setCount(0, 500);
    await new Pca9685(chip).init(50);
    expect(chip.pulseMicros(0)).toBe(0);
    expect(chip.register(0xfe)).toBe(121);
    expect(chip.violations).toEqual([]);
  });
});
