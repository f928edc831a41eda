/**
 * The PCA9685 path over the Linux kernel's own I2C stack: Debian's kernel under QEMU, i2c-stub as the
 * chip at 0x40 on /dev/i2c-0, the real i2c-bus addon, and the real actuator service process configured
 * with `car.i2c.bus: 0`. One boot runs guest/pca9685.ts, which drives and reads back; this file asserts.
 * Where QEMU or the kernel package cannot be had, every test here fails with the reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { angleToCount, throttleToCount, type SteeringCalibration, type ThrottleCalibration } from '../../runtime/index.ts';
import { prescaleFor } from '../../car/actuator/pca9685.ts';
import { bundleForGuest } from './bundle.ts';
import type { Applied, Pca9685Scenario, Registers } from './guest/pca9685.ts';
import { guestNode, runInGuest } from './launcher.ts';

// Not the defaults: channels, counts and frequency must all come from the configuration.
const steering: SteeringCalibration = { channel: 4, leftCount: 450, rightCount: 300 };
const throttle: ThrottleCalibration = { channel: 5, forwardCount: 480, stoppedCount: 360, reverseCount: 240 };
const SCENARIO: Pca9685Scenario = {
  actuator: { failsafeMs: 300, frequencyHz: 50, steering, throttle },
  commands: [
    { angle: -1, throttle: 0.5 },
    { angle: 1, throttle: -1 },
    { angle: 0.3, throttle: 1 },
  ],
  estopThrottle: 0.6,
  byteCommands: [
    { angle: -0.5, throttle: 0.25 },
    { angle: 0.9, throttle: -0.4 },
  ],
};

interface Result {
  funcsAtStart: Record<string, boolean>;
  i2cdetectAtStart: string;
  armed: Registers;
  steps: { command: { angle: number; throttle: number }; applied: Applied; registers: Registers }[];
  failsafe: { silentForMs: number; applied: Applied; registers: Registers };
  estop: Record<'before' | 'estopped' | 'commandsAfter', { applied: Applied; registers: Registers }>;
  stopped: { before: { applied: Applied }; exitCode: number | null; registers: Registers };
  byteMode: {
    funcs: Record<string, boolean>;
    i2cdetect: string;
    unadvertisedBlockWrite: { accepted: boolean; code?: string };
    pwmWrites: string;
    steps: { command: { angle: number; throttle: number }; registers: Registers }[];
  };
}

let result: Result;

beforeAll(async () => {
  const bundle = await bundleForGuest({ 'pca9685-guest': 'test/hil/guest/pca9685.ts' });
  try {
    const guest = await runInGuest({
      command: guestNode(bundle.file('pca9685-guest')),
      modules: [{ name: 'i2c_dev' }, { name: 'i2c_stub', params: 'chip_addr=0x40' }],
      env: { HIL_SCENARIO: JSON.stringify(SCENARIO) },
    });
    console.info(`hil pca9685: ${guest.accel}, boot ${(guest.bootMs / 1000).toFixed(1)} s, scenario ${(guest.commandMs / 1000).toFixed(1)} s`);
    if (guest.exitCode !== 0) throw new Error(`the guest scenario exited with ${guest.exitCode}:\n${guest.stderr.slice(-6000)}`);
    result = JSON.parse(guest.stdout) as Result;
  } finally {
    bundle.remove();
  }
}, 300_000);

/** LEDn_ON and LEDn_OFF as 13-bit values (bit 12 is full on / full off). */
function led(registers: Registers, channel: number): { on: number; off: number } {
  const base = 0x06 + 4 * channel;
  const byte = (offset: number): number => {
    const value = registers[base + offset];
    if (value === null || value === undefined) throw new Error(`register 0x${(base + offset).toString(16)} was not read`);
    return value;
  };
  return { on: byte(0) | (byte(1) << 8), off: byte(2) | (byte(3) << 8) };
}

const pulse = (count: number) => ({ on: 0, off: count });

describe('PCA9685 on the kernel I2C stack (i2c-stub at 0x40 on /dev/i2c-0)', () => {
  it('finds an adapter that carries byte and I2C block transfers (what i2c-stub advertises)', () => {
    expect(result.funcsAtStart).toMatchObject({ smbusReadByte: true, smbusWriteByte: true, smbusWriteI2cBlock: true, i2c: false });
    expect(result.i2cdetectAtStart).toMatch(/I2C Block Write\s+yes/);
  });

  it('initialises the chip: MODE1 with auto-increment, MODE2 totem-pole, PRE_SCALE for frequencyHz', () => {
    // i2c-stub keeps the last byte written: RESTART | AI | ALLCALL (a real chip clears RESTART itself)
    expect(result.armed[0x00]).toBe(0xa1);
    expect(result.armed[0x01]).toBe(0x04);
    expect(result.armed[0xfe]).toBe(prescaleFor(SCENARIO.actuator.frequencyHz));
    expect(result.armed[0xfe]).toBe(121);
  });

  it('arms the ESC at neutral and centres the steering on the configured channels', () => {
    expect(led(result.armed, throttle.channel)).toEqual(pulse(throttle.stoppedCount));
    expect(led(result.armed, steering.channel)).toEqual(pulse(angleToCount(steering, 0)));
  });

  it('writes LEDn_ON/OFF for each drive command as the calibration maps it', () => {
    expect(result.steps).toHaveLength(SCENARIO.commands.length);
    for (const { command, registers, applied } of result.steps) {
      expect(led(registers, throttle.channel)).toEqual(pulse(throttleToCount(throttle, command.throttle)));
      expect(led(registers, steering.channel)).toEqual(pulse(angleToCount(steering, command.angle)));
      expect([applied.throttleCount, applied.steeringCount]).toEqual([throttleToCount(throttle, command.throttle), angleToCount(steering, command.angle)]);
    }
    // full forward and full reverse reach the calibration's end counts
    expect(led(result.steps[1]!.registers, throttle.channel).off).toBe(throttle.reverseCount);
    expect(led(result.steps[2]!.registers, throttle.channel).off).toBe(throttle.forwardCount);
  });

  it('brings the throttle to neutral after failsafeMs of silence and holds the steering', () => {
    const { failsafe } = result;
    expect(failsafe.applied.reason).toBe('failsafe');
    expect(failsafe.silentForMs).toBeGreaterThanOrEqual(SCENARIO.actuator.failsafeMs);
    console.info(`hil pca9685: failsafe wrote neutral ${failsafe.silentForMs} ms after the last command (failsafeMs ${SCENARIO.actuator.failsafeMs})`);
    const last = SCENARIO.commands.at(-1)!;
    expect(led(failsafe.registers, throttle.channel)).toEqual(pulse(throttle.stoppedCount));
    expect(led(failsafe.registers, steering.channel)).toEqual(pulse(angleToCount(steering, last.angle)));
  });

  it('estop writes neutral throttle at once and keeps it while commands go on arriving', () => {
    const { before, estopped, commandsAfter } = result.estop;
    expect(led(before.registers, throttle.channel).off).toBe(throttleToCount(throttle, SCENARIO.estopThrottle));
    for (const state of [estopped, commandsAfter]) {
      expect(state.applied).toMatchObject({ reason: 'estop', estop: true });
      expect(led(state.registers, throttle.channel)).toEqual(pulse(throttle.stoppedCount));
    }
  });

  it('on SIGTERM writes neutral throttle, then every output off (ALL_LED_OFF_H full-off), as i2cdump shows', () => {
    const { before, exitCode, registers } = result.stopped;
    expect(before.applied.throttleCount).toBe(throttleToCount(throttle, SCENARIO.estopThrottle));
    expect(exitCode).toBe(0);
    expect(led(registers, throttle.channel)).toEqual(pulse(throttle.stoppedCount));
    expect(registers[0xfd]).toBe(0x10);
  });

  it('falls back to byte writes once the adapter stops advertising I2C block transfers, with the same registers', () => {
    const { byteMode } = result;
    expect(byteMode.funcs.smbusWriteI2cBlock).toBe(false);
    expect(byteMode.i2cdetect).toMatch(/I2C Block Write\s+no/);
    expect(byteMode.pwmWrites).toBe('byte');
    console.info(`hil pca9685: an unadvertised I2C block write was ${byteMode.unadvertisedBlockWrite.accepted ? 'still carried' : `refused (${byteMode.unadvertisedBlockWrite.code})`} by the kernel`);
    for (const { command, registers } of byteMode.steps) {
      expect(led(registers, throttle.channel)).toEqual(pulse(throttleToCount(throttle, command.throttle)));
      expect(led(registers, steering.channel)).toEqual(pulse(angleToCount(steering, command.angle)));
    }
  });
});
