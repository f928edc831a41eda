/**
 * `control`: a raw HID report injected at the wheel (G29 layout, through the real profile parser
 * and mapping) to the PCA9685 register write on the car, through the real NUC proxy, uplink,
 * car-local proxy, pilot and actuator processes. The chip is the emulated register file, served
 * from this process over the simulated I2C socket, so both ends share one clock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { ledRegister, simI2cSocketPath } from '../../car/actuator/index.ts';
import { angleToCount, DEFAULT_STEERING } from '../../runtime/index.ts';
import { EmulatedPca9685, serveI2c } from '../../car/sim/index.ts';
import { startWheelBridge } from '../../nuc/wheel/index.ts';
import { WheelConfigSchema, type WheelConfig } from '../../runtime/index.ts';
import { FakeHidBackend } from '../support/fake-hid.ts';
import { BusPublisher, percentile, type FieldsOf } from '../../protocol/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses } from '../support/processes.ts';
import type { Benchmark, Metric } from './types.ts';

const REPORTS = 5000;
const RATE_HZ = 500;
const WHEEL = { vendorId: 0x046d, productId: 0xc24f, path: '/dev/hidraw-bench', product: 'G29 Driving Force Racing Wheel' };
/** The steering channel's OFF_H register: the last byte of the 4-byte pulse write. */
const STEERING_OFF_H = ledRegister(DEFAULT_STEERING.channel) + 3;

/** A G29 native input report (SDL hidapi lg4ff layout): 16-bit steering LE at [4..5], pedals released. */
function g29Report(steering16: number): number[] {
  return [0x08, 0, 0, 0, steering16 & 0xff, steering16 >> 8, 0xff, 0xff, 0xff, 0, 0, 0];
}

interface Sent {
  at: number;
  count: number;
  deliveredAt?: number;
}

const bench: Benchmark = {
  name: 'control',
  description: 'raw HID report at the wheel → PCA9685 register write, 5000 reports at 500 Hz',
  async run(): Promise<Metric[]> {
    const platform = await startPlatformProcesses({ config: { car: { drive: { mode: 'user' } } } });
    const runDir = path.join(platform.dataDir, 'car', '1', 'run');
    fs.mkdirSync(runDir, { recursive: true });
    const chip = new EmulatedPca9685();
    const i2c = await serveI2c(chip, simI2cSocketPath(runDir));
    const publisher = BusPublisher.connect(platform.nucAs({ name: 'wheel', role: 'nuc', service: 'wheel' }));
    const sent: Sent[] = [];
    // Which report a steering count belongs to: the newest one sent with that count.
    const pendingByCount = new Map<number, number>();
    let injectedAt = 0;
    const recording = {
      send: (topic: `car/${string}/control`, fields: FieldsOf<'control'>) => {
        const count = angleToCount(DEFAULT_STEERING, fields.angle);
        pendingByCount.set(count, sent.length);
        sent.push({ at: injectedAt, count });
        return publisher.send(topic, fields);
      },
    } as unknown as BusPublisher;
    chip.onWrite((register) => {
      if (register !== STEERING_OFF_H) return;
      const index = pendingByCount.get(chip.count(DEFAULT_STEERING.channel));
      if (index === undefined) return;
      const entry = sent[index]!;
      entry.deliveredAt ??= performance.now();
    });
    try {
      await platform.startService('nuc', 'proxy');
      await platform.startService('car', 'proxy', '1');
      await platform.startService('car', 'uplink', '1');
      await platform.startService('car', 'actuator', '1');
      await platform.startService('car', 'pilot', '1');
      const backend = new FakeHidBackend([WHEEL]);
      const config = { ...(Value.Default(WheelConfigSchema, {}) as WheelConfig), device: 'auto' as const, pollMs: 100 };
      const wheel = await startWheelBridge({ carId: '1', config, publisher: recording, backend });
      await waitFor(() => backend.isOpen(WHEEL.path), 'the wheel to open');

      // Steering values whose counts differ report to report: full lock is ±4096 around centre.
      const raw = (i: number): number => 32768 - 4096 + Math.round(((i * 37) % 171) * (8192 / 171));
      const inject = (i: number): void => {
        injectedAt = performance.now();
        backend.send(WHEEL.path, g29Report(raw(i)));
      };
      // Warm up until reports reach the chip, then forget the warm-up.
      await waitFor(async () => {
        inject(sent.length);
        await sleep(20);
        return sent.some((s) => s.deliveredAt !== undefined);
      }, 'the first report on the chip', 30_000);
      sent.length = 0;
      pendingByCount.clear();

      const period = 1000 / RATE_HZ;
      const start = performance.now();
      for (let i = 0; i < REPORTS; i++) {
        const due = start + i * period;
        // Timers, not a busy wait: a spinning injector would steal a core from the path it measures.
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        inject(i);
      }
      await sleep(500);
      await wheel.stop();

      const latencies: number[] = [];
      let lost = 0;
      let supersededOrDelivered = false;
      for (let i = sent.length - 1; i >= 0; i--) {
        const entry = sent[i]!;
        if (entry.deliveredAt !== undefined) {
          latencies.push(entry.deliveredAt - entry.at);
          supersededOrDelivered = true;
        } else if (!supersededOrDelivered) {
          lost++; // nothing newer reached the chip either: its effect is gone
        }
      }
      latencies.sort((a, b) => a - b);
      const round = (v: number) => Math.round(v * 1000) / 1000;
      return [
        { bench: 'control', metric: 'control_p50_ms', value: round(percentile(latencies, 50)), unit: 'ms' },
        { bench: 'control', metric: 'control_p99_ms', value: round(percentile(latencies, 99)), unit: 'ms' },
        { bench: 'control', metric: 'control_lost', value: lost, unit: 'reports' },
        { bench: 'control', metric: 'control_delivered', value: latencies.length, unit: 'reports' },
        { bench: 'control', metric: 'control_superseded', value: sent.length - latencies.length - lost, unit: 'reports' },
      ];
    } finally {
      await publisher.close();
      await platform.stop();
      await i2c.close();
    }
  },
};

export default bench;
