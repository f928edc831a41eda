/**
 * Faults a driver must not feel, with real processes: `npm start` (the NUC and simulated car 1, its
 * services from the bundle under plain node, the expert driving in `local` mode), the car-local bus
 * watched from this process. A pilot killed mid-drive, the agent killed mid-drive, and the actuator
 * (and pilot) restarted with the emergency stop latched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCarBus, type CarBusRecorder, type Heard } from '../support/car-bus.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatform, waitForServices, type RunningPlatform } from '../support/platform.ts';
import { startPlatformProcesses, type PlatformProcesses } from '../support/processes.ts';
import { servicePids } from '../support/service-procs.ts';

const TOKEN = 'car-faults-token';
const CAR_SERVICES = ['proxy', 'uplink', 'sim', 'actuator', 'camera', 'pilot', 'agent'].map((name) => `car/1/${name}`);

let platform: RunningPlatform;
let bus: CarBusRecorder;

/** The one process running this car service (waits out a restart in progress). */
async function onePid(name: string): Promise<number> {
  return waitFor(() => {
    const pids = servicePids(platform, name);
    return pids.length === 1 ? pids[0] : undefined;
  }, `exactly one ${name} process`, 30_000, 50);
}

/** The applied messages since `since` that drove: a command of the pilot, past the failsafe. */
const commandsSince = (since: number): Heard<'applied'>[] => bus.heard('applied').filter((r) => r.at >= since && r.header.reason === 'command');

async function action(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${platform.baseUrl}/api/cars/1/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
}

beforeAll(async () => {
  platform = await startPlatform([], { EDGE_TOKEN: TOKEN });
  await waitForServices(platform.baseUrl, ['nuc/server', ...CAR_SERVICES], 180_000);
  bus = recordCarBus(platform.dataDir, '1', ['applied', 'drive', 'metrics']);
  // the expert drives: commands with throttle reach the chip
  await waitFor(() => commandsSince(0).some((r) => r.header.throttle > 0.05) || undefined, 'the car driving', 60_000, 50);
}, 240_000);

afterAll(async () => {
  await bus?.close();
  await platform?.stop();
});

describe('faults a driver must not feel (real processes)', { timeout: 120_000 }, () => {
  it('a pilot killed with SIGKILL drives again from its replacement\'s first commands, though their seq starts at 0 again', async () => {
    const pid = await onePid('pilot');
    const before = bus.heard('drive').at(-1)!.header;
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    // the agent restarts it with the same generation; its first command marks it up and driving
    const first = await waitFor(
      () => bus.heard('drive').find((d) => d.at >= killedAt && d.header.instance !== before.instance),
      'the restarted pilot sending',
      30_000,
      10,
    );
    expect(first.header.gen).toBe(before.gen);
    expect(first.header.seq).toBeLessThan(before.seq);
    const newSeqs = new Set(bus.heard('drive').filter((d) => d.header.instance === first.header.instance).map((d) => d.header.seq));
    const accepted = await waitFor(
      () => {
        for (const d of bus.heard('drive')) if (d.header.instance === first.header.instance) newSeqs.add(d.header.seq);
        return commandsSince(first.at).find((r) => r.header.driveSeq !== undefined && newSeqs.has(r.header.driveSeq));
      },
      "the actuator taking the restarted pilot's commands",
      10_000,
      10,
    );
    // taken from its first commands (about a second's worth at most on a loaded machine), not once
    // it has out-counted its predecessor's seq; the time it takes is the link benchmark's
    // fault_pilot_restart_drive_s
    expect(accepted.header.driveSeq!).toBeLessThan(first.header.seq + 50);
    expect(before.seq).toBeGreaterThan(first.header.seq + 50);
  });

  it('an agent killed with SIGKILL while the car drives: actuator, camera and pilot keep running and driving, adopted and still supervised', async () => {
    const running = { actuator: await onePid('actuator'), camera: await onePid('camera'), pilot: await onePid('pilot') };
    const agent = await onePid('agent');
    await sleep(500);
    const killedAt = Date.now();
    process.kill(agent, 'SIGKILL');
    // the launcher starts a new agent; it adopts what runs
    const next = await waitFor(() => {
      const pids = servicePids(platform, 'agent');
      return pids.length === 1 && pids[0] !== agent ? pids[0] : undefined;
    }, 'a new agent', 30_000, 50);
    await waitFor(() => bus.pids.get('agent') === next || undefined, 'the new agent on the bus', 30_000, 50);
    await sleep(1000);
    // the same processes drove all along (how many drive loops the actuator missed, none, is the
    // link benchmark's fault_agent_kill_missed_loops: a loaded machine's own pauses are no test failure)
    for (const [name, pid] of Object.entries(running)) expect(servicePids(platform, name), name).toEqual([pid]);
    expect(commandsSince(killedAt).filter((r) => r.header.throttle > 0.05).length).toBeGreaterThan(20);

    // supervised: the adopted pilot, killed, is restarted by the new agent
    process.kill(running.pilot, 'SIGKILL');
    const crashedAt = Date.now();
    const restarted = await waitFor(() => {
      const pids = servicePids(platform, 'pilot');
      return pids.length === 1 && pids[0] !== running.pilot ? pids[0] : undefined;
    }, 'the adopted pilot restarted', 30_000, 50);
    expect(restarted).not.toBe(running.pilot);
    await waitFor(() => commandsSince(crashedAt).some((r) => r.header.throttle > 0.05) || undefined, 'the car driving again', 30_000, 50);
  });

  it('an emergency stop survives an actuator restart until it is cleared', async () => {
    await action({ estop: true });
    await waitFor(() => bus.heard('applied').at(-1)?.header.estop === true || undefined, 'the estop latched', 10_000, 20);
    // everything that drives restarts: the new pilot knows nothing of the estop and drives
    const actuator = await onePid('actuator');
    const pilot = await onePid('pilot');
    process.kill(actuator, 'SIGKILL');
    process.kill(pilot, 'SIGKILL');
    const restartedAt = Date.now();
    await waitFor(() => {
      const a = servicePids(platform, 'actuator');
      const p = servicePids(platform, 'pilot');
      return a.length === 1 && a[0] !== actuator && p.length === 1 && p[0] !== pilot;
    }, 'a new actuator and pilot', 30_000, 50);
    await waitFor(() => bus.heard('drive').some((d) => d.at >= restartedAt && d.header.throttle > 0.05) || undefined, 'the new pilot asking for throttle', 30_000, 20);
    const from = Date.now();
    await sleep(1000);
    const applied = bus.heard('applied').filter((r) => r.at >= from);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((r) => r.header.estop && r.header.reason === 'estop' && r.header.throttle === 0)).toBe(true);
    expect(bus.heard('drive').some((d) => d.at >= from && d.header.throttle > 0.05)).toBe(true);

    const clearedAt = Date.now();
    await action({ estop: false });
    await waitFor(() => commandsSince(clearedAt).some((r) => !r.header.estop && r.header.throttle > 0.05) || undefined, 'the car driving after the clear', 30_000, 20);
  });
});

describe('a car with real hardware starts with the driver in charge', { timeout: 90_000 }, () => {
  let car: PlatformProcesses | undefined;
  afterAll(async () => car?.stop());

  it('starts in user mode at neutral (the simulated demo starts in local)', async () => {
    // a pilot alone, configured for a PCA9685 on /dev/i2c-1: it drives nothing itself, it decides
    car = await startPlatformProcesses({ config: { car: { i2c: { bus: 1 } } } });
    await car.startService('car', 'proxy', '1');
    const watch = recordCarBus(car.dataDir, '1', ['telemetry', 'drive']);
    try {
      await car.startService('car', 'pilot', '1');
      await waitFor(() => watch.heard('telemetry').length >= 3 || undefined, 'the pilot reporting', 30_000, 20);
      expect(watch.heard('telemetry').every((t) => t.header.mode === 'user' && t.header.throttle === 0)).toBe(true);
      expect(watch.heard('drive').every((d) => d.header.throttle === 0)).toBe(true);
    } finally {
      await watch.close();
    }
  });
});
