/**
 * The secured bus as a stranger, a paired tool and a revoked one meet it: the real NUC proxy and
 * car 1's real services (car proxy, uplink, simulator, actuator, camera, pilot in `user` mode) as processes,
 * peers paired with `npm run bus -- pair` (in-process), and the anonymous and unpaired peers built
 * from raw zeromq sockets as a third-party script would build them. What reached the car is read on
 * its own bus: the controls its pilot got and what its actuator applied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Publisher, Subscriber, curveKeyPair } from 'zeromq';
import { runBusCli } from '../../launcher/index.ts';
import {
  BusPublisher,
  BusSubscriber,
  ClientSecurity,
  carTopic,
  encode,
  nucTopic,
  readClientKeys,
  readKeyFile,
  type BusEndpoints,
  type BusMessage,
  type HeaderOf,
} from '../../protocol/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses, type PlatformProcesses } from '../support/processes.ts';

let platform: PlatformProcesses;
/** the NUC's own server identity: reads everything, e.g. the proxy's metrics */
let server: BusSubscriber;
const closers: Array<{ close(): unknown }> = [];
const atCar = { controls: [] as { at: number; header: HeaderOf<'control'> }[], applied: [] as HeaderOf<'applied'>[], hints: 0 };
const atNuc: BusMessage[] = [];
let proxyDrops: Record<string, number> = {};
let proxyGauges: Record<string, number> = {};

function track<T extends { close(): unknown }>(closable: T): T {
  closers.push(closable);
  return closable;
}

async function cli(...args: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBusCli([...args, '--data', platform.dataDir], { out: (l) => out.push(l), err: (l) => err.push(l) }, platform.env);
  if (code !== 0) throw new Error(`npm run bus -- ${args.join(' ')} failed: ${err.join('\n')}`);
  return out.join('\n');
}

/** Pairs a tool as an operator does, and connects to the bus with the files pairing wrote. */
async function pairTool(name: string, ...roleArgs: string[]): Promise<BusEndpoints> {
  const dir = path.join(platform.dataDir, 'paired', name);
  await cli('pair', name, ...roleArgs, '--out', dir);
  return { ...platform.nuc, security: new ClientSecurity(readClientKeys(dir)) };
}

const control = (fields: Partial<HeaderOf<'control'>>) => ({ angle: 0, throttle: 0, ...fields });

/**
 * A third-party peer from raw zeromq sockets (not this project's helpers), with the socket options
 * given: a subscriber to everything, counting what it gets, and a publisher that steers car 1.
 */
function rawPeer(socketOptions: Record<string, string> = {}): { received(): number; steerFor3s(angle: number): Promise<void> } {
  const listener = track(new Subscriber({ linger: 0, ...socketOptions }));
  listener.connect(platform.nuc.subscribers);
  listener.subscribe('');
  let received = 0;
  void (async () => {
    for await (const _ of listener) received++;
  })().catch(() => undefined);
  const talker = track(new Publisher({ linger: 0, ...socketOptions }));
  talker.connect(platform.nuc.publishers);
  return {
    received: () => received,
    async steerFor3s(angle) {
      for (let i = 0; i < 30; i++) {
        await talker.send(encode<'control'>(carTopic('1', 'control'), i, { angle, throttle: 0.5, mode: 'local' }));
        await sleep(100);
      }
    },
  };
}
const latestApplied = () => atCar.applied.at(-1);

beforeAll(async () => {
  platform = await startPlatformProcesses({ config: { car: { drive: { mode: 'user', userTimeoutMs: 2000 } } } });
  await platform.startService('nuc', 'proxy');
  for (const name of ['proxy', 'uplink', 'sim', 'actuator', 'camera', 'pilot']) await platform.startService('car', name, '1');
  const car = track(BusSubscriber.connect(platform.carBus('1'), { topics: [carTopic('1', 'control'), carTopic('1', 'applied'), nucTopic('ota', 'release')] }));
  car.on((message) => {
    if (message.kind === 'control') atCar.controls.push({ at: Date.now(), header: message.header });
    else if (message.kind === 'applied') atCar.applied.push(message.header);
    else if (message.kind === 'release') atCar.hints++;
  });
  server = track(BusSubscriber.connect(platform.nucAs({ name: 'server', role: 'nuc', service: 'server' }), { topics: ['car/', nucTopic('proxy', 'metrics')] }));
  server.on((message) => {
    if (message.kind === 'metrics' && message.topic.id === 'proxy') {
      proxyDrops = message.header.counters.droppedBy;
      proxyGauges = message.header.gauges ?? {};
    } else atNuc.push(message);
  });
  await waitFor(() => atNuc.some((m) => m.kind === 'frame' && m.topic.id === '1') && latestApplied() !== undefined, 'car 1 running and seen from the NUC', 60_000, 100);
}, 180_000);

afterAll(async () => {
  for (const closable of closers.splice(0).reverse()) await closable.close();
  await platform?.stop();
});

describe('the secured bus', () => {
  it('gives an anonymous peer (no CURVE) nothing in 3 s, and its control never reaches the car', async () => {
    const anonymous = rawPeer();
    await anonymous.steerFor3s(0.91);
    expect(anonymous.received()).toBe(0);
    expect(atCar.controls.some((c) => c.header.angle === 0.91)).toBe(false);
    // it never got past the handshake: the proxy counted the failures
    await waitFor(() => (proxyGauges.bus_handshakes_failed ?? 0) > 0, 'the failed handshakes in the proxy\'s metrics', 20_000, 50);
  });

  it('refuses a valid CURVE key that is not paired, on both sides', async () => {
    const stranger = curveKeyPair();
    const refusedBefore = proxyGauges.bus_handshakes_refused ?? 0;
    const unpaired = rawPeer({ curveServerKey: readKeyFile(path.join(platform.dataDir, 'keys', 'bus', 'nuc.public')), curvePublicKey: stranger.publicKey, curveSecretKey: stranger.secretKey });
    await unpaired.steerFor3s(0.92);
    expect(unpaired.received()).toBe(0);
    expect(atCar.controls.some((c) => c.header.angle === 0.92)).toBe(false);
    await waitFor(() => (proxyGauges.bus_handshakes_refused ?? 0) > refusedBefore, 'ZAP refusals in the proxy\'s metrics', 20_000, 50);
  });

  it('lets a paired viewer watch car 1, drops its control and counts it', async () => {
    const viewerBus = await pairTool('phone', '--role', 'viewer');
    const frames: number[] = [];
    const watching = track(BusSubscriber.connect(viewerBus, { topics: [carTopic('1', 'frame')] }));
    watching.on(() => frames.push(Date.now()));
    await waitFor(() => frames.length >= 5, 'frames at the viewer', 20_000);
    const steering = track(BusPublisher.connect(viewerBus));
    const before = proxyDrops['no-control-authority'] ?? 0;
    await waitFor(async () => {
      await steering.send(carTopic('1', 'control'), control({ angle: 0.93, throttle: 0.4 }));
      return (proxyDrops['no-control-authority'] ?? 0) > before;
    }, 'the viewer\'s control dropped as no-control-authority', 20_000, 100);
    expect(atCar.controls.some((c) => c.header.angle === 0.93)).toBe(false);
  });

  it('lets a driver for car 1 steer car 1 but not car 2', async () => {
    const driverBus = await pairTool('pat', '--role', 'driver', '--car', '1');
    const driving = track(BusPublisher.connect(driverBus));
    await waitFor(async () => {
      await driving.send(carTopic('1', 'control'), control({ angle: -0.6, throttle: 0 }));
      return latestApplied()?.angle === -0.6;
    }, 'car 1\'s actuator applying the driver\'s steering', 20_000, 50);
    const before = proxyDrops['no-control-authority'] ?? 0;
    await waitFor(async () => {
      await driving.send(carTopic('2', 'control'), control({ angle: 0.94, throttle: 0.3 }));
      return (proxyDrops['no-control-authority'] ?? 0) > before;
    }, 'the control for car 2 dropped', 20_000, 100);
    expect(atNuc.some((m) => m.kind === 'control' && m.topic.id === '2')).toBe(false);
  });

  it('never lets car 2\'s key speak for car 1, nor hint a release', async () => {
    const car2 = await pairTool('car2', '--role', 'car', '--car', '2');
    expect(fs.existsSync(path.join(platform.dataDir, 'paired', 'car2', 'client.secret'))).toBe(true);
    const forging = track(BusPublisher.connect(car2));
    const loop = { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const before = proxyDrops['not-permitted'] ?? 0;
    await waitFor(async () => {
      await forging.send(carTopic('1', 'telemetry'), { mode: 'user', angle: 0, throttle: 0, model: 'forged by car 2', loop });
      await forging.send(nucTopic('ota', 'release'), { timestamp: 99 });
      return (proxyDrops['not-permitted'] ?? 0) >= before + 2;
    }, 'the forged telemetry and hint dropped as not-permitted', 20_000, 100);
    // its own telemetry goes through
    await waitFor(async () => {
      await forging.send(carTopic('2', 'telemetry'), { mode: 'user', angle: 0, throttle: 0, model: 'car 2 itself', loop });
      return atNuc.some((m) => m.kind === 'telemetry' && m.topic.id === '2');
    }, 'car 2\'s own telemetry at the NUC', 20_000, 100);
    expect(atNuc.some((m) => m.kind === 'telemetry' && m.header.model === 'forged by car 2')).toBe(false);
    expect(atCar.hints).toBe(0);
  });

  it('latches an estop from any paired key, keeps it through a clear without authority, and clears it from the driver', async () => {
    const viewer = track(BusPublisher.connect({ ...platform.nuc, security: new ClientSecurity(readClientKeys(path.join(platform.dataDir, 'paired', 'phone'))) }));
    const driver = track(BusPublisher.connect({ ...platform.nuc, security: new ClientSecurity(readClientKeys(path.join(platform.dataDir, 'paired', 'pat'))) }));
    await waitFor(async () => {
      await viewer.send(carTopic('1', 'control'), control({ estop: true }));
      return latestApplied()?.estop === true;
    }, 'the viewer\'s estop latched at the actuator', 20_000, 100);
    const before = proxyDrops['no-control-authority'] ?? 0;
    await waitFor(async () => {
      await viewer.send(carTopic('1', 'control'), control({ estop: false }));
      return (proxyDrops['no-control-authority'] ?? 0) > before;
    }, 'the viewer\'s clear dropped', 20_000, 100);
    await sleep(300);
    expect(latestApplied()?.estop).toBe(true);
    expect(atCar.controls.some((c) => c.header.estop === false && c.header.angle === 0 && c.at > Date.now() - 2000)).toBe(false);
    await waitFor(async () => {
      await driver.send(carTopic('1', 'control'), control({ estop: false }));
      return latestApplied()?.estop === false;
    }, 'the driver\'s clear', 20_000, 100);
  });

  it('stops a revoked peer\'s delivery within a second of unpairing, while the others carry on', async () => {
    const viewerBus = { ...platform.nuc, security: new ClientSecurity(readClientKeys(path.join(platform.dataDir, 'paired', 'phone'))) };
    const revoked: number[] = [];
    const watching = track(BusSubscriber.connect(viewerBus, { topics: [carTopic('1', 'frame')] }));
    watching.on(() => revoked.push(Date.now()));
    const talking = track(BusPublisher.connect(viewerBus));
    await waitFor(() => revoked.length >= 5, 'frames at the viewer before unpairing', 20_000);
    expect(await cli('unpair', 'phone')).toMatch(/unpaired phone \(viewer/);
    const unpairedAt = Date.now();
    const framesBefore = atNuc.length;
    // an estop-only control is the one thing a viewer may send: after unpairing, not even that
    const sendEstop = setInterval(() => void talking.send(carTopic('1', 'control'), control({ estop: true })), 50);
    await sleep(3000);
    clearInterval(sendEstop);
    const last = Math.max(unpairedAt, ...revoked);
    expect(last - unpairedAt).toBeLessThan(1000);
    expect(revoked.filter((at) => at > unpairedAt + 1000)).toEqual([]);
    expect(atCar.controls.filter((c) => c.at > unpairedAt + 1000 && c.header.estop === true)).toEqual([]);
    expect(latestApplied()?.estop).toBe(false);
    // the NUC's own subscriber reconnected through ZAP and kept receiving
    expect(atNuc.slice(framesBefore).filter((m) => m.kind === 'frame').length).toBeGreaterThan(10);
    expect((await cli('list')).split('\n').some((line) => line.startsWith('phone'))).toBe(false);
  });
});
