/**
 * The update strategies that interrupt a service, with real processes on a driving simulated car:
 * the actuator (owner of the I2C bus) is replaced only once the car has stopped, and the camera can
 * be shipped kill-then-download or delete-then-download for cars short of memory or disk. Each case
 * asserts the exact path of states, the new process, and the car driving again afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildService, findServiceSpec, type ServiceContent } from '../../deploy/index.ts';
import type { UpdateStrategy } from '../../protocol/index.ts';
import { waitFor } from '../support/net.ts';
import { SETTLED_STATES, startOtaPlatform, type OtaPlatform } from '../support/ota.ts';
import { ROOT } from '../support/platform.ts';
import { servicePids } from '../support/service-procs.ts';


let car: OtaPlatform;
let camera: ServiceContent;

function cameraRelease(strategy: UpdateStrategy, label: string) {
  const marker = Buffer.from(`\n// ${label} ${Date.now()}\n`);
  const files = camera.files.map((f) => (f.path === camera.entry ? { ...f, bytes: Buffer.concat([f.bytes, marker]) } : f));
  return car.publishContent('camera', { ...camera, files, strategy }, label);
}

/** Commands with throttle applied at the chip after `since`: the car is driving. */
function drivingSince(since: number): number {
  return car.applied.filter((r) => r.at >= since && r.header.reason === 'command' && r.header.throttle > 0.05).length;
}

async function stopCar(): Promise<void> {
  await car.sendControl({ estop: true });
  const from = Date.now();
  await waitFor(() => car.applied.some((r) => r.at >= from && r.header.reason === 'estop') || undefined, 'the actuator applying the estop', 30_000, 20);
}

async function driveAgain(): Promise<void> {
  await car.sendControl({ estop: false });
  const from = Date.now();
  await waitFor(() => drivingSince(from) > 5 || undefined, 'the car driving again', 30_000, 50);
}

beforeAll(async () => {
  camera = await buildService(findServiceSpec('camera'), ROOT);
  // generous: no case here is about a slow service
  car = await startOtaPlatform({ config: { car: { agent: { healthTimeoutMs: 60_000 } } } });
  await car.waitForActiveGen(0, 90_000);
}, 150_000);

afterAll(async () => {
  if (process.env.OTA_TEST_DEBUG) process.stderr.write(car?.output() ?? '');
  await car?.stop();
});

describe('updates that interrupt a service (real processes)', { timeout: 120_000 }, () => {
  it('holds an actuator update while the car drives, and applies it once the car has stopped', async () => {
    const oldActuator = servicePids(car, 'actuator');
    expect(oldActuator).toHaveLength(1);
    // driving, not merely started: the expert holds the car at rest until the simulator's pose reaches it
    const started = Date.now();
    await waitFor(() => drivingSince(started) > 10 || undefined, 'the car driving', 60_000, 50);
    const since = Date.now();
    const release = await car.publishService('actuator', 'new actuator');
    await car.waitForAgent((h) => h.state === 'waiting-for-stop', 60_000, since);
    // the car keeps driving on the old actuator while the update waits
    const waitingFrom = Date.now();
    await waitFor(() => drivingSince(waitingFrom) > 10 || undefined, 'the car driving on while the update waits', 30_000, 50);
    expect(car.agentReports.at(-1)!.header.state).toBe('waiting-for-stop');
    expect(servicePids(car, 'actuator')).toEqual(oldActuator);

    await stopCar();
    const settled = await car.waitForAgent((h) => SETTLED_STATES.has(h.state) && h.version === release.version, 60_000, since);
    expect(settled.header.state).toBe('idle');
    expect(car.pathSince(since)).toEqual(['checking-space', 'downloading', 'staging', 'waiting-for-stop', 'stopping-first', 'starting-new', 'health-check', 'committing', 'idle']);
    const newActuator = await waitFor(() => (servicePids(car, 'actuator').length === 1 ? servicePids(car, 'actuator') : undefined), 'one actuator', 10_000);
    expect(newActuator).not.toEqual(oldActuator);
    await driveAgain();
  });

  it.each([
    ['kill-then-download', ['waiting-for-stop', 'stopping-first', 'checking-space', 'downloading', 'staging', 'starting-new', 'health-check', 'committing', 'idle']],
    ['delete-then-download', ['waiting-for-stop', 'stopping-first', 'deleting', 'checking-space', 'downloading', 'staging', 'starting-new', 'health-check', 'committing', 'idle']],
  ] as const)('ships the camera %s: stopped first, then fetched, and the frames come back', async (strategy, expectedPath) => {
    await stopCar();
    const oldCamera = servicePids(car, 'camera');
    expect(oldCamera).toHaveLength(1);
    const since = Date.now();
    const release = cameraRelease(strategy, `camera ${strategy}`);
    const settled = await car.waitForAgent((h) => SETTLED_STATES.has(h.state) && h.version === release.version, 60_000, since);
    expect(settled.header.state).toBe('idle');
    expect(car.pathSince(since)).toEqual(expectedPath);
    const newCamera = await waitFor(() => (servicePids(car, 'camera').length === 1 ? servicePids(car, 'camera') : undefined), 'one camera', 10_000);
    expect(newCamera).not.toEqual(oldCamera);
    const from = Date.now();
    await waitFor(() => car.frameTimes.filter((t) => t >= from).length > 10 || undefined, 'frames from the new camera', 30_000, 50);
    await driveAgain();
  });
});
