/**
 * PCA9685 16-channel 12-bit PWM controller driver (NXP datasheet Rev. 4), over any I2cBus.
 * Register addresses and bits below are the datasheet's names.
 *
 * Channel writes go out one of two ways, chosen from what the kernel says the adapter can carry
 * (I2C_FUNCS, `i2cFuncs()`):
 * - 'block': one 4-byte I2C block write of LEDn_ON_L..LEDn_OFF_H. Needs auto-increment (MODE1 AI, set by
 *   init) on a real chip, and an adapter with I2C block writes (a Raspberry Pi's i2c-bcm2835 has them;
 *   so does the kernel's i2c-stub, which always stores a block in consecutive registers, AI or not).
 * - 'byte': one SMBus byte write per register that changed, for SMBus-only adapters (i2c-stub loaded
 *   with a `functionality` mask without I2C_FUNC_SMBUS_WRITE_I2C_BLOCK, some PC SMBus controllers).
 *   Each byte takes effect on its own STOP, so a count crossing a 256 boundary shows one intermediate
 *   value (within 255 counts of the target) for at most one PWM period.
 */
import type { I2cBus } from './i2c.ts';

export const MODE1 = 0x00;
export const MODE2 = 0x01;
export const SUBADR1 = 0x02;
export const SUBADR2 = 0x03;
export const SUBADR3 = 0x04;
export const ALLCALLADR = 0x05;
/** LEDn_ON_L is at 0x06 + 4n, followed by LEDn_ON_H, LEDn_OFF_L, LEDn_OFF_H. */
export const LED0_ON_L = 0x06;
export const LED15_OFF_H = 0x45;
export const ALL_LED_ON_L = 0xfa;
export const ALL_LED_ON_H = 0xfb;
export const ALL_LED_OFF_L = 0xfc;
export const ALL_LED_OFF_H = 0xfd;
export const PRE_SCALE = 0xfe;
export const TEST_MODE = 0xff;

/** MODE1 bits */
export const MODE1_RESTART = 0x80;
export const MODE1_EXTCLK = 0x40;
export const MODE1_AI = 0x20;
export const MODE1_SLEEP = 0x10;
export const MODE1_ALLCALL = 0x01;
/** MODE2 bit: totem-pole outputs (servo/ESC signal lines want push-pull, the power-on default). */
export const MODE2_OUTDRV = 0x04;
/** Bit 4 of LEDn_ON_H / LEDn_OFF_H: full on / full off (full off wins). */
export const LED_FULL_BIT = 0x10;

export const CHANNEL_COUNT = 16;
export const OSCILLATOR_HZ = 25_000_000;
export const PRESCALE_MIN = 3;
export const PRESCALE_MAX = 255;
export const DEFAULT_FREQUENCY_HZ = 60;
export const DEFAULT_ADDRESS = 0x40;
/** A count of 4096 in setPwm sets the full-on (as ON) or full-off (as OFF) bit. */
export const FULL_COUNT = 4096;
/** The oscillator needs 500 µs after SLEEP is cleared before RESTART may be written. */
export const OSCILLATOR_SETTLE_MS = 0.5;

export class Pca9685Error extends Error {
  override name = 'Pca9685Error';
}

export function ledRegister(channel: number): number {
  checkChannel(channel);
  return LED0_ON_L + 4 * channel;
}

/** PRE_SCALE = round(osc / (4096 × f)) − 1 (datasheet eq. 1); throws when outside 3..255. */
export function prescaleFor(frequencyHz: number): number {
  if (!Number.isFinite(frequencyHz) || frequencyHz <= 0) {
    throw new Pca9685Error(`PWM frequency must be a positive number of Hz, got ${frequencyHz}`);
  }
  const prescale = Math.round(OSCILLATOR_HZ / (4096 * frequencyHz)) - 1;
  if (prescale < PRESCALE_MIN || prescale > PRESCALE_MAX) {
    const low = frequencyForPrescale(PRESCALE_MAX).toFixed(1);
    const high = frequencyForPrescale(PRESCALE_MIN).toFixed(0);
    throw new Pca9685Error(
      `PWM frequency ${frequencyHz} Hz needs PRE_SCALE ${prescale}, outside the chip's ${PRESCALE_MIN}..${PRESCALE_MAX} (about ${low}..${high} Hz)`,
    );
  }
  return prescale;
}

/** The output frequency the chip actually produces for a PRE_SCALE value. */
export function frequencyForPrescale(prescale: number): number {
  return OSCILLATOR_HZ / (4096 * (prescale + 1));
}

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel >= CHANNEL_COUNT) {
    throw new Pca9685Error(`PCA9685 channel must be an integer 0..15, got ${channel}`);
  }
}

function checkCount(name: string, count: number, max: number): void {
  if (!Number.isInteger(count) || count < 0 || count > max) {
    throw new Pca9685Error(`PCA9685 ${name} count must be an integer 0..${max}, got ${count}`);
  }
}

function isNoAck(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'ENXIO' || code === 'EREMOTEIO';
}

/** LEDn_ON_H, ON_L, OFF_H, OFF_L: see setPwmBytes. */
const BYTE_WRITE_ORDER = [1, 0, 3, 2] as const;

/** How LEDn registers are written (see the header): 'auto' asks the adapter at init. */
export type PwmWrites = 'block' | 'byte';

export interface Pca9685Options {
  /** waits between waking the oscillator and RESTART; injectable for tests */
  delay?: (ms: number) => Promise<void>;
  /** default 'auto': block writes where the adapter has them, else byte writes */
  pwmWrites?: PwmWrites | 'auto';
}

const defaultDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Pca9685 {
  private prescaleValue: number | undefined;
  private requestedHz: number | undefined;
  private readonly delay: (ms: number) => Promise<void>;
  private readonly wantedWrites: PwmWrites | 'auto';
  private writes: PwmWrites = 'block';
  /** the LEDn bytes last written per channel in byte mode; unknown (absent) until written */
  private readonly written = new Map<number, readonly number[]>();

  constructor(
    readonly bus: I2cBus,
    readonly address: number = DEFAULT_ADDRESS,
    options: Pca9685Options = {},
  ) {
    if (!Number.isInteger(address) || address < 0 || address > 0x7f) {
      throw new Pca9685Error(`I2C address must be a 7-bit integer 0x00..0x7f, got ${address}`);
    }
    this.delay = options.delay ?? defaultDelay;
    this.wantedWrites = options.pwmWrites ?? 'auto';
  }

  /** How channel writes go out ('block' until init has asked the adapter). */
  get pwmWrites(): PwmWrites {
    return this.writes;
  }

  /** The frequency asked for in init (undefined before init). */
  get frequencyHz(): number | undefined {
    return this.requestedHz;
  }

  /** The frequency the chip produces after PRE_SCALE rounding, e.g. 59.84 Hz for 60 Hz. */
  get outputFrequencyHz(): number | undefined {
    return this.prescaleValue === undefined ? undefined : frequencyForPrescale(this.prescaleValue);
  }

  get prescale(): number | undefined {
    return this.prescaleValue;
  }

  /**
   * Brings the chip to a known state: every output off, totem-pole outputs, PRE_SCALE for the
   * frequency (only writable while asleep), oscillator restarted, auto-increment on.
   */
  async init(frequencyHz: number = DEFAULT_FREQUENCY_HZ): Promise<void> {
    const prescale = prescaleFor(frequencyHz);
    const hex = `0x${this.address.toString(16)}`;
    this.writes = this.wantedWrites === 'auto' ? await this.adapterWrites() : this.wantedWrites;
    this.written.clear();
    try {
      // Outputs off first, so a chip left driving by a previous process stops during set-up.
      await this.bus.writeByte(this.address, ALL_LED_OFF_H, LED_FULL_BIT);
    } catch (err) {
      if (isNoAck(err)) {
        throw new Pca9685Error(`no PCA9685 answered at I2C address ${hex}: check wiring, power and i2c.address`, { cause: err });
      }
      throw err;
    }
    await this.bus.writeByte(this.address, MODE2, MODE2_OUTDRV);
    await this.bus.writeByte(this.address, MODE1, MODE1_SLEEP | MODE1_ALLCALL);
    await this.bus.writeByte(this.address, PRE_SCALE, prescale);
    await this.bus.writeByte(this.address, MODE1, MODE1_AI | MODE1_ALLCALL);
    await this.delay(OSCILLATOR_SETTLE_MS * 2);
    await this.bus.writeByte(this.address, MODE1, MODE1_RESTART | MODE1_AI | MODE1_ALLCALL);
    const readBack = await this.bus.readByte(this.address, PRE_SCALE);
    if (readBack !== prescale) {
      throw new Pca9685Error(
        `device at ${hex} read back PRE_SCALE ${readBack} after writing ${prescale}: is it a PCA9685?`,
      );
    }
    this.prescaleValue = prescale;
    this.requestedHz = frequencyHz;
  }

  /**
   * Writes LEDn_ON_L..LEDn_OFF_H, as one block or as byte writes (see the header). Counts are
   * 0..4095; 4096 sets the full-on (on) or full-off (off) bit instead.
   */
  async setPwm(channel: number, on: number, off: number): Promise<void> {
    const register = ledRegister(channel);
    checkCount('ON', on, FULL_COUNT);
    checkCount('OFF', off, FULL_COUNT);
    if (this.writes === 'byte') return this.setPwmBytes(channel, register, on, off);
    // A fresh (pool-sliced, cheap) buffer per write: i2c-bus reads it on a worker thread later,
    // so a shared one could be overwritten by the next write while still in flight.
    const bytes = Buffer.allocUnsafe(4);
    bytes[0] = on & 0xff;
    bytes[1] = on >> 8;
    bytes[2] = off & 0xff;
    bytes[3] = off >> 8;
    await this.bus.writeI2cBlock(this.address, register, 4, bytes);
  }

  /** A pulse `count` ticks long starting at the beginning of the period. */
  async setCount(channel: number, count: number): Promise<void> {
    checkCount('pulse', count, FULL_COUNT - 1);
    await this.setPwm(channel, 0, count);
  }

  /** Every output off in one byte: the full-off bit of ALL_LED_OFF_H. */
  async allOff(): Promise<void> {
    // ALL_LED_OFF_H loads every LEDn_OFF_H on the chip: what byte mode remembers no longer holds.
    this.written.clear();
    await this.bus.writeByte(this.address, ALL_LED_OFF_H, LED_FULL_BIT);
  }

  private async adapterWrites(): Promise<PwmWrites> {
    const funcs = await this.bus.i2cFuncs?.();
    return funcs === undefined || funcs.smbusWriteI2cBlock ? 'block' : 'byte';
  }

  /**
   * Only the bytes that changed, each high byte before its low byte: the one count passed on the way
   * is then newHigh:oldLow, at most 255 from the target (low first would pass oldHigh:newLow, ≥ 256 away).
   */
  private async setPwmBytes(channel: number, register: number, on: number, off: number): Promise<void> {
    const next = [on & 0xff, on >> 8, off & 0xff, off >> 8];
    const previous = this.written.get(channel);
    this.written.delete(channel); // unknown until every byte is written
    for (const i of BYTE_WRITE_ORDER) {
      if (previous === undefined || previous[i] !== next[i]) await this.bus.writeByte(this.address, register + i, next[i]!);
    }
    this.written.set(channel, next);
  }
}
