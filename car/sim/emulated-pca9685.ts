/**
 * A PCA9685 register file behind the actuator's I2cBus interface, so the real driver runs unchanged
 * in the simulator and in tests, and the physics can read back each channel's pulse width.
 *
 * Modelled from the NXP datasheet:
 * - power-on defaults: MODE1 0x11 (SLEEP + ALLCALL), MODE2 0x04, SUBADR 0xE2/0xE4/0xE8,
 *   ALLCALLADR 0xE0, every LEDn full-off (OFF_H 0x10), PRE_SCALE 0x1E (200 Hz);
 * - auto-increment (MODE1 AI): the register pointer advances after each byte, 0x45 → 0x00 and
 *   0xFA..0xFE → 0x00. Without AI the pointer stays put, so every byte of a block lands on the
 *   first register (the last byte wins) and a block read repeats that register;
 * - PRE_SCALE writes are blocked while SLEEP is 0; values below 3 are forced to 3;
 * - ALL_LED_ON/OFF_L/H (0xFA..0xFD) load the same byte into every LEDn register and read as 0;
 * - bits 7:5 of LEDn_ON_H / LEDn_OFF_H are read-only zero; bit 4 is full on / full off
 *   (full off wins);
 * - RESTART: going to sleep with PWM running sets it; on waking, outputs stay off until 1 is
 *   written to RESTART or a LEDn register is written. Writing 1 clears it, writing 0 does nothing.
 *   RESTART written sooner than 500 µs after waking is recorded as a violation.
 * Not modelled: INVRT/OUTNE output polarity, EXTCLK, sub-/all-call addresses, the general-call
 * software reset (use powerOn()), the 500 µs oscillator start-up itself.
 */
import {
  checkBlockArgs,
  ALL_LED_OFF_H,
  ALL_LED_ON_L,
  ALLCALLADR,
  CHANNEL_COUNT,
  DEFAULT_ADDRESS,
  LED0_ON_L,
  LED15_OFF_H,
  LED_FULL_BIT,
  MODE1,
  MODE1_RESTART,
  MODE1_SLEEP,
  MODE1_AI,
  MODE2,
  OSCILLATOR_SETTLE_MS,
  PRE_SCALE,
  PRESCALE_MIN,
  SUBADR1,
  SUBADR2,
  SUBADR3,
  TEST_MODE,
  frequencyForPrescale,
  type I2cBus,
  type I2cFuncs,
} from '../actuator/index.ts';

/** Called for every byte the host writes, with the register the pointer was on. */
export type RegisterWriteListener = (register: number, value: number) => void;

export interface RegisterWrite {
  register: number;
  value: number;
}

export interface EmulatedPca9685Options {
  address?: number;
  /** entries kept by the write log ring (oldest dropped); default 4096 */
  logCapacity?: number;
  /** milliseconds clock, for the 500 µs restart rule; default performance.now */
  now?: () => number;
  /**
   * false: the chip sits behind an SMBus-only adapter, which the kernel reports without I2C block
   * transfers (I2C_FUNCS) and refuses them with EOPNOTSUPP. Default true, as on a Raspberry Pi.
   */
  i2cBlock?: boolean;
}

/** The kernel's answer when no device acknowledges an address. */
export function noAckError(address: number, op: 'read' | 'write'): Error {
  const err = new Error(
    `ENXIO: no such device or address, ${op} (remote I/O error: nothing acknowledged I2C address 0x${address.toString(16)})`,
  ) as Error & { code: string; errno: number; syscall: string };
  err.code = 'ENXIO';
  err.errno = -6;
  err.syscall = op;
  return err;
}

function argumentError(message: string): Error {
  const err = new RangeError(message) as RangeError & { code: string };
  err.code = 'EINVAL';
  return err;
}

export class EmulatedPca9685 implements I2cBus {
  readonly address: number;
  readonly i2cBlock: boolean;
  private readonly regs = new Uint8Array(256);
  private restartHeld = false;
  private wokeAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly listeners = new Set<RegisterWriteListener>();
  /** ring of (register << 8 | value) */
  private readonly log: Uint16Array;
  private logNext = 0;
  private logSize = 0;
  private writes = 0;
  private closed = false;
  /** datasheet rules the host broke, e.g. RESTART too soon after waking, writes to reserved registers */
  readonly violations: string[] = [];

  constructor(options: EmulatedPca9685Options = {}) {
    this.address = options.address ?? DEFAULT_ADDRESS;
    this.i2cBlock = options.i2cBlock ?? true;
    this.now = options.now ?? (() => performance.now());
    this.log = new Uint16Array(Math.max(1, options.logCapacity ?? 4096));
    this.powerOn();
  }

  /** Power-on reset: every register to its datasheet default. */
  powerOn(): void {
    const r = this.regs;
    r.fill(0);
    r[MODE1] = MODE1_SLEEP | 0x01;
    r[MODE2] = 0x04;
    r[SUBADR1] = 0xe2;
    r[SUBADR2] = 0xe4;
    r[SUBADR3] = 0xe8;
    r[ALLCALLADR] = 0xe0;
    for (let ch = 0; ch < CHANNEL_COUNT; ch++) r[LED0_ON_L + 4 * ch + 3] = LED_FULL_BIT;
    r[PRE_SCALE] = 0x1e;
    this.restartHeld = false;
    this.wokeAt = Number.NEGATIVE_INFINITY;
  }

  // ---- I2cBus ----

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    this.checkTransfer(address, command, 'write');
    checkByte('byte', byte);
    this.writeRegister(command, byte);
  }

  async readByte(address: number, command: number): Promise<number> {
    this.checkTransfer(address, command, 'read');
    return this.readRegister(command);
  }

  async writeI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesWritten: number; buffer: Buffer }> {
    this.checkTransfer(address, command, 'write');
    this.checkBlockSupported();
    checkBlockArgs(length, buffer);
    let pointer = command;
    for (let i = 0; i < length; i++) {
      this.writeRegister(pointer, buffer[i]!);
      pointer = this.advance(pointer);
    }
    return { bytesWritten: length, buffer };
  }

  async readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Buffer,
  ): Promise<{ bytesRead: number; buffer: Buffer }> {
    this.checkTransfer(address, command, 'read');
    this.checkBlockSupported();
    checkBlockArgs(length, buffer);
    let pointer = command;
    for (let i = 0; i < length; i++) {
      buffer[i] = this.readRegister(pointer);
      pointer = this.advance(pointer);
    }
    return { bytesRead: length, buffer };
  }

  async i2cFuncs(): Promise<I2cFuncs> {
    return { i2c: false, smbusReadByte: true, smbusWriteByte: true, smbusReadI2cBlock: this.i2cBlock, smbusWriteI2cBlock: this.i2cBlock };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- what the physics and tests read ----

  get sleeping(): boolean {
    return (this.regs[MODE1]! & MODE1_SLEEP) !== 0;
  }

  /** The raw register as stored (ALL_LED registers are write-only and hold nothing). */
  register(register: number): number {
    return this.regs[register & 0xff]!;
  }

  /** The PWM frequency PRE_SCALE produces (the chip's frequency, not the one asked for). */
  frequencyHz(): number {
    return frequencyForPrescale(this.regs[PRE_SCALE]!);
  }

  /** High time of the channel in ticks of 1/4096 period: 4096 full on, 0 full off. */
  count(channel: number): number {
    if (!Number.isInteger(channel) || channel < 0 || channel >= CHANNEL_COUNT) {
      throw argumentError(`PCA9685 channel must be an integer 0..15, got ${channel}`);
    }
    const r = this.regs;
    const base = LED0_ON_L + 4 * channel;
    const onH = r[base + 1]!;
    const offH = r[base + 3]!;
    if (offH & LED_FULL_BIT) return 0;
    if (onH & LED_FULL_BIT) return 4096;
    const on = r[base]! | ((onH & 0x0f) << 8);
    const off = r[base + 2]! | ((offH & 0x0f) << 8);
    return (off - on + 4096) % 4096;
  }

  /** The pulse a servo or ESC sees now, in µs; 0 when the output is off or the chip asleep. */
  pulseMicros(channel: number): number {
    const ticks = this.count(channel);
    if (this.sleeping || this.restartHeld) return 0;
    return (ticks * 1e6) / (this.frequencyHz() * 4096);
  }

  /** Subscribes to every register byte written; returns the unsubscribe function. */
  onWrite(listener: RegisterWriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Total register bytes written since construction. */
  get writeCount(): number {
    return this.writes;
  }

  /** The most recent writes (up to logCapacity), oldest first. */
  writeLog(): RegisterWrite[] {
    const out: RegisterWrite[] = [];
    const capacity = this.log.length;
    const start = (this.logNext - this.logSize + capacity) % capacity;
    for (let i = 0; i < this.logSize; i++) {
      const entry = this.log[(start + i) % capacity]!;
      out.push({ register: entry >> 8, value: entry & 0xff });
    }
    return out;
  }

  clearWriteLog(): void {
    this.logNext = 0;
    this.logSize = 0;
  }

  // ---- register semantics ----

  private checkTransfer(address: number, command: number, op: 'read' | 'write'): void {
    if (this.closed) throw Object.assign(new Error('I2C bus closed'), { code: 'EBADF' });
    if (!Number.isInteger(address) || address < 0 || address > 0x7f) {
      throw argumentError(`Invalid I2C address ${address}`);
    }
    checkByte('command', command);
    if (address !== this.address) throw noAckError(address, op);
  }

  private checkBlockSupported(): void {
    if (this.i2cBlock) return;
    throw Object.assign(new Error('EOPNOTSUPP: operation not supported (the adapter has no I2C block transfers)'), { code: 'EOPNOTSUPP', errno: -95 });
  }

  private advance(pointer: number): number {
    if ((this.regs[MODE1]! & MODE1_AI) === 0) return pointer;
    if (pointer === LED15_OFF_H || pointer >= PRE_SCALE) return 0;
    return pointer + 1;
  }

  private readRegister(register: number): number {
    if (register >= ALL_LED_ON_L && register <= ALL_LED_OFF_H) return 0;
    return this.regs[register]!;
  }

  private writeRegister(register: number, value: number): void {
    this.record(register, value);
    const r = this.regs;
    if (register === MODE1) {
      this.writeMode1(value);
    } else if (register === MODE2) {
      r[MODE2] = value & 0x1f;
    } else if (register <= ALLCALLADR) {
      r[register] = value;
    } else if (register <= LED15_OFF_H) {
      r[register] = isHighByte(register) ? value & 0x1f : value;
      this.clearRestart();
    } else if (register >= ALL_LED_ON_L && register <= ALL_LED_OFF_H) {
      const offset = register - ALL_LED_ON_L;
      const stored = offset % 2 === 1 ? value & 0x1f : value;
      for (let ch = 0; ch < CHANNEL_COUNT; ch++) r[LED0_ON_L + 4 * ch + offset] = stored;
      this.clearRestart();
    } else if (register === PRE_SCALE) {
      if (this.sleeping) r[PRE_SCALE] = Math.max(PRESCALE_MIN, value);
      // While awake the chip ignores the write: the driver must sleep first.
    } else if (register === TEST_MODE) {
      this.violations.push(`write 0x${hex(value)} to TestMode (0xFF): unpredictable on the real chip`);
    } else {
      this.violations.push(`write 0x${hex(value)} to reserved register 0x${hex(register)}`);
    }
  }

  private writeMode1(value: number): void {
    const r = this.regs;
    const wasAsleep = this.sleeping;
    const willSleep = (value & MODE1_SLEEP) !== 0;
    let restartBit = r[MODE1]! & MODE1_RESTART;
    if (!wasAsleep && willSleep && this.anyOutputRunning()) restartBit = MODE1_RESTART;
    if (wasAsleep && !willSleep) {
      this.wokeAt = this.now();
      if (restartBit) this.restartHeld = true;
    }
    if (value & MODE1_RESTART && restartBit) {
      if (willSleep) {
        this.violations.push('RESTART written while SLEEP is set');
      } else {
        if (this.now() - this.wokeAt < OSCILLATOR_SETTLE_MS) {
          this.violations.push('RESTART written less than 500 µs after clearing SLEEP');
        }
        restartBit = 0;
        this.restartHeld = false;
      }
    }
    r[MODE1] = (value & ~MODE1_RESTART) | restartBit;
  }

  /** Datasheet 7.3.1.1: with OCH = 0 a write to any PWM register also clears RESTART. */
  private clearRestart(): void {
    this.restartHeld = false;
    this.regs[MODE1] = this.regs[MODE1]! & ~MODE1_RESTART;
  }

  private anyOutputRunning(): boolean {
    for (let ch = 0; ch < CHANNEL_COUNT; ch++) if (this.count(ch) > 0) return true;
    return false;
  }

  private record(register: number, value: number): void {
    this.writes++;
    const capacity = this.log.length;
    this.log[this.logNext] = (register << 8) | value;
    this.logNext = (this.logNext + 1) % capacity;
    if (this.logSize < capacity) this.logSize++;
    for (const listener of this.listeners) listener(register, value);
  }
}

function isHighByte(register: number): boolean {
  return (register - LED0_ON_L) % 2 === 1;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw argumentError(`Invalid I2C ${name} ${value}: must be an integer 0..255`);
  }
}

