import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BusPublisher, ServiceMetrics, carTopic } from '../../protocol/index.ts';
import { Guard, validateConfig, type ServiceContext } from '../../runtime/index.ts';
import { startTestBus, type TestBus } from '../../test/support/bus.ts';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';
import { listTubs } from '../../tub/index.ts';
import recorderService from './service.ts';

let bus: TestBus | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await bus?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('recorder service', () => {
  it('records a car from the NUC bus while its telemetry says recording', async () => {
    bus = await startTestBus();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'edge-recsvc-'));
    const metrics = new ServiceMetrics();
    const controller = new AbortController();
    const recorderBus = await bus.as({ name: 'recorder', role: 'nuc', service: 'recorder' });
    const context = {
      scope: 'nuc',
      name: 'recorder',
      carId: undefined,
      config: validateConfig({ dataDir, car: { camera: { width: 160, height: 120 } } }, 'test'),
      log: pino({ level: 'silent' }),
      metrics,
      guard: new Guard({ error() {} }),
      bus: recorderBus,
      nucBus: recorderBus,
      runDir: dataDir,
      signal: controller.signal,
      ready() {},
    } satisfies ServiceContext;
    const running = await recorderService.start(context);
    // the car's telemetry and frames with its key, the control as the server relays it
    const publisher = BusPublisher.connect(await bus.as({ name: 'car-1', role: 'car', car: '1' }));
    const controls = BusPublisher.connect(bus.nuc);
    const loop = { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const jpeg = jpegHeaderOnly(160, 120);
    let frames = 0;
    await until(async () => {
      // The subscription takes a moment to reach the proxy: keep sending until records land.
      const now = Date.now();
      await publisher.send<'telemetry'>(carTopic('1', 'telemetry'), { mode: 'user', angle: 0, throttle: 0, model: 'none', loop, recording: true });
      await controls.send<'control'>(carTopic('1', 'control'), { angle: -0.5, throttle: 0.4, ts: now });
      await publisher.send<'frame'>(carTopic('1', 'frame'), { width: 160, height: 120, format: 'jpeg', ts: now + 5 }, jpeg);
      frames++;
      return metrics.gaugeValues().recorder_records! >= 3;
    }, 'three records');
    await publisher.send<'telemetry'>(carTopic('1', 'telemetry'), { mode: 'user', angle: 0, throttle: 0, model: 'none', loop, recording: false });
    await until(() => metrics.gaugeValues().recorder_recording === 0, 'recording to stop');
    await running.stop();
    await Promise.all([publisher.close(), controls.close()]);

    const tubs = await listTubs(path.join(dataDir, 'tubs'));
    expect(tubs).toHaveLength(1);
    expect(tubs[0]!.name).toMatch(/^\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_car1$/);
    expect(tubs[0]!.records).toBeGreaterThanOrEqual(3);
    expect(tubs[0]!.records).toBeLessThanOrEqual(frames);
    expect(metrics.gaugeValues()).toMatchObject({ recorder_errors: 0, recorder_failed: 0 });
  });
});
