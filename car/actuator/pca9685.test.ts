import { describe, expect, it } from 'vitest';
import type { I2cBus } from './i2c.ts';
import { EmulatedPca9685, noAckError } from '../sim/index.ts';
import { Pca9685, Pca9685Error, frequencyForPrescale, ledRegister, prescaleFor } from './pca9685.ts';

type Transfer =
  | { op: 'writeByte'; address: number; register: number; byte: number }
  | { op: 'readByte'; address: number; register: number }
  | { op: 'writeBlock'; address: number; register: number; bytes: number[] };

/** Records each transfer the driver makes, then passes it on to the emulated chip. */
function recordingBus(chip: I2cBus = new EmulatedPca9685()): { bus: I2cBus; transfers: Transfer[] } {
  const transfers: Transfer[] = [];
  const bus: I2cBus = {
    writeByte: (address, register, byte) => {
      transfers.push({ op: 'writeByte', address, register, byte });
      return chip.writeByte(address, register, byte);
    },
    readByte: (address, register) => {
      transfers.push({ op: 'readByte', address, register });
      return chip.readByte(address, register);
    },
    writeI2cBlock: (address, register, length, buffer) => {
      transfers.push({ op: 'writeBlock', address, register, bytes: [...buffer.subarray(0, length)] });
      return chip.writeI2cBlock(address, register, length, buffer);
    },
    readI2cBlock: (address, register, length, buffer) => chip.readI2cBlock(address, register, length, buffer),
    ...(chip.i2cFuncs ? { i2cFuncs: () => chip.i2cFuncs!() } : {}),
    close: () => chip.close(),
  };
  return { bus, transfers };
}

const noDelay = async (): Promise<void> => undefined;

describe('PRE_SCALE from the PWM frequency (datasheet eq. 1)', () => {
  it.each([
    [50, 121],
    [60, 101],
    [100, 60],
    [200, 0x1e], // the datasheet's worked example
  ])('%d Hz → %d', (hz, prescale) => {
    expect(prescaleFor(hz)).toBe(prescale);
  });

  it('refuses frequencies the chip cannot produce, with the reason', () => {
    expect(() => prescaleFor(10)).toThrow(/10 Hz needs PRE_SCALE 609, outside the chip's 3\.\.255/);
    expect(() => prescaleFor(2000)).toThrow(/outside the chip's 3\.\.255/);
    expect(() => prescaleFor(0)).toThrow(Pca9685Error);
    expect(() => prescaleFor(Number.NaN)).toThrow(/positive number of Hz/);
  });

  it('reports the frequency PRE_SCALE really produces', () => {
    expect(frequencyForPrescale(101)).toBeCloseTo(59.84, 2);
  });
});

describe('LEDn registers', () => {
  it('sit at 0x06 + 4n', () => {
    expect(ledRegister(0)).toBe(0x06);
    expect(ledRegister(1)).toBe(0x0a);
    expect(ledRegister(15)).toBe(0x42);
    expect(() => ledRegister(16)).toThrow(/channel must be an integer 0\.\.15/);
  });
});

describe('Pca9685 driver', () => {
  it('init writes the datasheet sequence: outputs off, OUTDRV, sleep, prescale, wake, restart with AI', async () => {
    const { bus, transfers } = recordingBus();
    const delays: number[] = [];
    const chip = new Pca9685(bus, 0x40, { delay: async (ms) => void delays.push(ms) });
    await chip.init(60);
    expect(transfers).toEqual([
      { op: 'writeByte', address: 0x40, register: 0xfd, byte: 0x10 },
      { op: 'writeByte', address: 0x40, register: 0x01, byte: 0x04 },
      { op: 'writeByte', address: 0x40, register: 0x00, byte: 0x11 },
      { op: 'writeByte', address: 0x40, register: 0xfe, byte: 101 },
      { op: 'writeByte', address: 0x40, register: 0x00, byte: 0x21 },
      { op: 'writeByte', address: 0x40, register: 0x00, byte: 0xa1 },
      { op: 'readByte', address: 0x40, register: 0xfe },
    ]);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(0.5);
    expect(chip.frequencyHz).toBe(60);
    expect(chip.prescale).toBe(101);
  });

  it('waits at least 500 µs before RESTART with the real delay', async () => {
    const emulated = new EmulatedPca9685();
    await new Pca9685(emulated).init(50);
    expect(emulated.violations).toEqual([]);
    expect(emulated.register(0xfe)).toBe(121);
  });

  it('setPwm is one 4-byte block write of ON_L, ON_H, OFF_L, OFF_H at 0x06 + 4n', async () => {
    const { bus, transfers } = recordingBus();
    const chip = new Pca9685(bus, 0x40, { delay: noDelay });
    await chip.init();
    transfers.length = 0;
    await chip.setPwm(3, 0x123, 0x456);
    await chip.setCount(0, 370);
    await chip.setPwm(2, 4096, 0); // full on
    await chip.setPwm(2, 0, 4096); // full off
    expect(transfers).toEqual([
      { op: 'writeBlock', address: 0x40, register: 0x12, bytes: [0x23, 0x01, 0x56, 0x04] },
      { op: 'writeBlock', address: 0x40, register: 0x06, bytes: [0x00, 0x00, 370 & 0xff, 370 >> 8] },
      { op: 'writeBlock', address: 0x40, register: 0x0e, bytes: [0x00, 0x10, 0x00, 0x00] },
      { op: 'writeBlock', address: 0x40, register: 0x0e, bytes: [0x00, 0x00, 0x00, 0x10] },
    ]);
  });

  it('rejects bad channels and counts without touching the bus', async () => {
    const { bus, transfers } = recordingBus();
    const chip = new Pca9685(bus, 0x40, { delay: noDelay });
    await expect(chip.setPwm(16, 0, 100)).rejects.toThrow(/channel/);
    await expect(chip.setCount(0, 4096)).rejects.toThrow(/pulse count must be an integer 0\.\.4095/);
    await expect(chip.setPwm(0, -1, 100)).rejects.toThrow(/ON count/);
    expect(transfers).toEqual([]);
    expect(() => new Pca9685(bus, 0x80)).toThrow(/7-bit/);
  });

  it('allOff sets the full-off bit of ALL_LED_OFF_H', async () => {
    const { bus, transfers } = recordingBus();
    await new Pca9685(bus).allOff();
    expect(transfers).toEqual([{ op: 'writeByte', address: 0x40, register: 0xfd, byte: 0x10 }]);
  });

  it('says clearly when nothing answers at the address', async () => {
    const chip = new Pca9685(new EmulatedPca9685({ address: 0x41 }), 0x40, { delay: noDelay });
    await expect(chip.init()).rejects.toThrow(/no PCA9685 answered at I2C address 0x40/);
  });

  it('refuses a device that does not keep PRE_SCALE', async () => {
    const emulated = new EmulatedPca9685();
    const bus: I2cBus = Object.assign(Object.create(emulated) as EmulatedPca9685, {
      readByte: async () => 0,
    });
    await expect(new Pca9685(bus, 0x40, { delay: noDelay }).init()).rejects.toThrow(/read back PRE_SCALE 0 after writing 101/);
  });

  it('passes other bus errors through unchanged', async () => {
    const failing: I2cBus = {
      ...recordingBus().bus,
      writeByte: async () => {
        throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      },
    };
    await expect(new Pca9685(failing).init()).rejects.toThrow('EBUSY');
    expect(noAckError(0x40, 'write').message).toMatch(/remote I\/O error/);
  });
});

describe('transfer mode from the adapter (what the kernel reports in I2C_FUNCS)', () => {
  /** An initialised driver over a recording bus to `emulated`, the transfer log emptied. */
  async function initialised(emulated: EmulatedPca9685) {
    const recorded = recordingBus(emulated);
    const chip = new Pca9685(recorded.bus, 0x40, { delay: noDelay });
    await chip.init();
    recorded.transfers.length = 0;
    return { ...recorded, chip };
  }

  it('uses one block write per channel where the adapter carries I2C block writes', async () => {
    const { chip, transfers } = await initialised(new EmulatedPca9685({ i2cBlock: true }));
    expect(chip.pwmWrites).toBe('block');
    await chip.setCount(0, 370);
    expect(transfers).toEqual([{ op: 'writeBlock', address: 0x40, register: 0x06, bytes: [0, 0, 370 & 0xff, 370 >> 8] }]);
  });

  it('falls back to byte writes on an SMBus-only adapter, which refuses block writes', async () => {
    const emulated = new EmulatedPca9685({ i2cBlock: false });
    await expect(emulated.writeI2cBlock(0x40, 0x06, 4, Buffer.alloc(4))).rejects.toMatchObject({ code: 'EOPNOTSUPP' });
    const { chip, transfers } = await initialised(emulated);
    expect(chip.pwmWrites).toBe('byte');
    await chip.setCount(1, 0x1f0);
    // each high byte before its low byte (see the next test)
    expect(transfers).toEqual([0x0b, 0x0a, 0x0d, 0x0c].map((register, i) => ({ op: 'writeByte', address: 0x40, register, byte: [0, 0, 0x01, 0xf0][i] })));
    expect(emulated.count(1)).toBe(0x1f0);
    transfers.length = 0;
    await chip.setCount(1, 0x1f8); // only OFF_L changed
    expect(transfers).toEqual([{ op: 'writeByte', address: 0x40, register: 0x0c, byte: 0xf8 }]);
    expect(emulated.count(1)).toBe(0x1f8);
  });

  it('writes every byte again after allOff, whose ALL_LED_OFF_H changed them on the chip', async () => {
    const emulated = new EmulatedPca9685({ i2cBlock: false });
    const { chip, transfers } = await initialised(emulated);
    await chip.setCount(0, 370);
    await chip.allOff();
    expect(emulated.count(0)).toBe(0);
    transfers.length = 0;
    await chip.setCount(0, 370);
    expect(transfers).toHaveLength(4);
    expect(emulated.count(0)).toBe(370);
  });

  it('takes a bus that cannot say (the simulator socket) as block-capable, and honours a forced mode', async () => {
    const { bus } = recordingBus();
    const { i2cFuncs: _unused, ...withoutFuncs } = bus;
    const chip = new Pca9685(withoutFuncs, 0x40, { delay: noDelay });
    await chip.init();
    expect(chip.pwmWrites).toBe('block');
    const forced = new Pca9685(recordingBus().bus, 0x40, { delay: noDelay, pwmWrites: 'byte' });
    await forced.init();
    expect(forced.pwmWrites).toBe('byte');
  });

  it('writes a high byte before its low byte, so a count crossing 256 passes nearest the target', async () => {
    const emulated = new EmulatedPca9685({ i2cBlock: false });
    const { bus, chip, transfers } = await initialised(emulated);
    await chip.setCount(0, 0x1f0);
    const seen: number[] = [];
    const writeByte = bus.writeByte;
    bus.writeByte = async (...args) => {
      await writeByte(...args);
      seen.push(emulated.count(0));
    };
    transfers.length = 0;
    await chip.setCount(0, 0x210);
    expect(transfers.map((t) => t.op === 'writeByte' && t.register)).toEqual([0x09, 0x08]);
    // high first passes 0x2f0 (224 from 0x210); low first would have passed 0x110 (256 away)
    expect(seen).toEqual([0x2f0, 0x210]);
  });
});
