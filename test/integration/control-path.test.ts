/**
 * The control path as a driver uses it: a wheel on the NUC → NUC proxy → uplink → car-local bus →
 * pilot → actuator → the PCA9685. The chip is the emulated register file, served here over the
 * simulated I2C socket exactly as the sim service serves it, so the test reads real pulse widths.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { simI2cSocketPath } from '../../car/actuator/index.ts';
import { angleToCount, countToMicros, DEFAULT_STEERING, DEFAULT_THROTTLE } from '../../runtime/index.ts';
import { EmulatedPca9685, serveI2c } from '../../car/sim/index.ts';
import { startWheelBridge, type WheelBridge } from '../../nuc/wheel/index.ts';
import { WheelConfigSchema, type WheelConfig } from '../../runtime/index.ts';
import { BusPublisher } from '../../protocol/index.ts';
import { waitFor } from '../support/net.ts';
import { startPlatformProcesses, type PlatformProcesses } from '../support/processes.ts';
import type { ChildProcess } from 'node:child_process';

const FREQUENCY_HZ = 60;
let platform: PlatformProcesses;
let chip: EmulatedPca9685;
let closeI2c: () => Promise<void>;
let wheelPublisher: BusPublisher;
let wheel: WheelBridge;
let pilot: ChildProcess;

/** What the chip outputs for an angle, as the car's calibration maps it. */
function steeringMicros(angle: number): number {
  return countToMicros(angleToCount(DEFAULT_STEERING, angle), chip.frequencyHz());
}
const neutralMicros = () => countToMicros(DEFAULT_THROTTLE.stoppedCount, chip.frequencyHz());

beforeAll(async () => {
  platform = await startPlatformProcesses({ config: { car: { drive: { mode: 'user', userTimeoutMs: 300 } } } });
  chip = new EmulatedPca9685();
  const runDir = path.join(platform.dataDir, 'car', '1', 'run');
  await import('node:fs').then((fs) => fs.mkdirSync(runDir, { recursive: true }));
  const server = await serveI2c(chip, simI2cSocketPath(runDir));
  closeI2c = () => server.close();
  await platform.startService('nuc', 'proxy');
  await platform.startService('car', 'proxy', '1');
  await platform.startService('car', 'uplink', '1');
  await platform.startService('car', 'actuator', '1');
  pilot = await platform.startService('car', 'pilot', '1');
  wheelPublisher = BusPublisher.connect(platform.nucAs({ name: 'wheel', role: 'nuc', service: 'wheel' }));
  const config = Value.Default(WheelConfigSchema, {}) as WheelConfig;
  wheel = await startWheelBridge({ carId: '1', config, publisher: wheelPublisher });
}, 120_000);

afterAll(async () => {
  await wheel?.stop();
  await wheelPublisher?.close();
  await platform?.stop();
  await closeI2c?.();
});

describe('wheel to PCA9685', () => {
  it('arms the ESC at neutral when the actuator starts', () => {
    expect(chip.frequencyHz()).toBeCloseTo(FREQUENCY_HZ, 0);
    expect(chip.pulseMicros(DEFAULT_THROTTLE.channel)).toBeCloseTo(neutralMicros(), 6);
  });

  it('turns a wheel turned right into the calibrated right-steering pulse', async () => {
    // The talk's mapping: full lock at 1/8 of the wheel's half range (steering_scale 1).
    const control = await waitFor(async () => {
      const sent = wheel.virtual.set({ steering16: 32768 + 2048 });
      await new Promise((r) => setTimeout(r, 50));
      return Math.abs(chip.pulseMicros(DEFAULT_STEERING.channel) - steeringMicros(sent.angle)) < 1e-6 ? sent : undefined;
    }, 'the steering pulse on the chip', 20_000);
    expect(control.angle).toBeCloseTo(0.5, 3);
    expect(chip.pulseMicros(DEFAULT_STEERING.channel)).toBeLessThan(steeringMicros(0));
  });

  it('applies pedal throttle, and returns to neutral when the wheel goes quiet', async () => {
    wheel.virtual.set({ steering16: 32768, throttle8: 128 });
    await waitFor(() => chip.pulseMicros(DEFAULT_THROTTLE.channel) > neutralMicros() + 1, 'forward throttle on the chip', 10_000);
    // No more reports: the pilot's user timeout (300 ms here) takes the throttle back to neutral.
    await waitFor(() => Math.abs(chip.pulseMicros(DEFAULT_THROTTLE.channel) - neutralMicros()) < 1e-6, 'neutral throttle', 5_000);
  });

  it('latches estop from the wheel until it is cleared', async () => {
    const estopButton = wheel.mapper.config.buttons.estop[0]!;
    wheel.virtual.tap(estopButton);
    wheel.virtual.set({ throttle8: 60 });
    await new Promise((r) => setTimeout(r, 300));
    expect(chip.pulseMicros(DEFAULT_THROTTLE.channel)).toBeCloseTo(neutralMicros(), 6);
    wheel.virtual.tap(estopButton);
    const pressed = () => wheel.virtual.set({ throttle8: 60 });
    await waitFor(() => {
      pressed();
      return chip.pulseMicros(DEFAULT_THROTTLE.channel) > neutralMicros() + 1;
    }, 'throttle after clearing estop', 10_000);
  });

  it('brings the throttle to neutral within failsafeMs when the pilot process dies mid-drive', async () => {
    // Keep the pedal pressed through the wheel, so only the actuator's failsafe can stop the car.
    const keepPressing = setInterval(() => wheel.virtual.set({ throttle8: 60 }), 20);
    try {
      await waitFor(() => chip.pulseMicros(DEFAULT_THROTTLE.channel) > neutralMicros() + 1, 'throttle applied', 10_000);
      const killedAt = Date.now();
      pilot.kill('SIGKILL');
      await waitFor(() => Math.abs(chip.pulseMicros(DEFAULT_THROTTLE.channel) - neutralMicros()) < 1e-6, 'failsafe neutral', 5_000, 5);
      const elapsed = Date.now() - killedAt;
      // failsafeMs (250) plus one actuator tick (20 ms), plus slack for a loaded machine.
      expect(elapsed).toBeLessThan(1000);
    } finally {
      clearInterval(keepPressing);
    }
  });
});
