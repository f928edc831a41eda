/**
 * The bus end to end on real sockets: NUC proxy on loopback TCP, car-local proxy on ipc, and the
 * uplink bridge between them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Publisher } from 'zeromq';
import { startUplink, type Uplink } from '../../car/uplink/index.ts';
import { BusPublisher, BusSubscriber, carTopic, nucTopic, type BusMessage } from '../../protocol/index.ts';
import { startTestBus, type TestBus } from '../support/bus.ts';
import { sleep, waitFor } from '../support/net.ts';
import { paddedJpeg } from '../support/jpegs.ts';

const MB = 1024 * 1024;
let bus: TestBus;
let uplink: Uplink;
const closers: Array<{ close(): Promise<void> }> = [];

function track<T extends { close(): Promise<void> }>(closable: T): T {
  closers.push(closable);
  return closable;
}

beforeEach(async () => {
  bus = await startTestBus();
  uplink = startUplink({ carId: '7', car: bus.car, nuc: bus.nuc, frameSendHighWaterMark: 4, maxPayloadBytes: 8 * MB });
});

afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
  await uplink.close();
  await bus.close();
});

/** Publishes until the subscriber has seen a message (subscriptions take a moment to propagate). */
async function publishUntilSeen(send: () => Promise<void>, seen: () => boolean, what: string): Promise<void> {
  await waitFor(async () => {
    await send();
    return seen();
  }, what);
}

describe('bus through proxies and uplink', () => {
  it('delivers a control published at the NUC to a car-local subscriber', async () => {
    const received: BusMessage[] = [];
    const carSide = track(BusSubscriber.connect(bus.car.subscribers, { topics: [carTopic('7', 'control')] }));
    carSide.on((m) => received.push(m));
    const wheel = track(BusPublisher.connect(bus.nuc.publishers));
    await publishUntilSeen(
      () => wheel.send<'control'>(carTopic('7', 'control'), { angle: -0.5, throttle: 0.3, mode: 'user' }),
      () => received.length > 0,
      'control at the car',
    );
    expect(received[0]!.header).toMatchObject({ angle: -0.5, throttle: 0.3, mode: 'user' });
  });

  it('hands a handler registered for one kind only that kind\'s messages, the rest to the catch-all', async () => {
    const sims: number[] = [];
    const all: string[] = [];
    const carSide = track(BusSubscriber.connect(bus.car.subscribers, { topics: ['car/7/'] }));
    carSide.on('sim', (m) => sims.push(m.header.x));
    carSide.on((m) => all.push(m.kind));
    const sim = track(BusPublisher.connect(bus.car.publishers));
    const pose = { track: 'default', x: 1.5, y: 0, heading: 0, speed: 0, cte: 0, offTrack: false, offTrackEvents: 0, progress: 0, lap: 0, lapTimeS: 0, angle: 0, throttle: 0 };
    await publishUntilSeen(
      async () => {
        await sim.send(carTopic('7', 'control'), { angle: 0, throttle: 0 });
        await sim.send(carTopic('7', 'sim'), pose);
      },
      () => all.includes('control') && sims.length > 0,
      'control and sim at the car',
    );
    expect(sims.every((x) => x === 1.5)).toBe(true);
    expect(sims.length).toBe(all.filter((kind) => kind === 'sim').length);
  });

  it('passes the update repository\'s hint down to the car', async () => {
    const received: BusMessage[] = [];
    const agentSide = track(BusSubscriber.connect(bus.car.subscribers, { topics: [nucTopic('ota', 'release')] }));
    agentSide.on((m) => received.push(m));
    const server = track(BusPublisher.connect(bus.nuc.publishers));
    await publishUntilSeen(
      () => server.send<'release'>(nucTopic('ota', 'release'), { timestamp: 12 }),
      () => received.length > 0,
      'the hint at the car',
    );
    expect(received[0]).toMatchObject({ topicText: 'nuc/ota/release', header: { timestamp: 12 } });
  });

  it('does not deliver car 70 control to car 7', async () => {
    const received: string[] = [];
    const carSide = track(BusSubscriber.connect(bus.car.subscribers, { topics: ['car/7/'] }));
    carSide.on((m) => received.push(m.topicText));
    const wheel = track(BusPublisher.connect(bus.nuc.publishers));
    await publishUntilSeen(
      async () => {
        await wheel.send<'control'>(carTopic('70', 'control'), { angle: 0, throttle: 0 });
        await wheel.send<'control'>(carTopic('7', 'control'), { angle: 0, throttle: 0 });
      },
      () => received.length > 0,
      'car 7 control',
    );
    expect(received.every((t) => t === 'car/7/control')).toBe(true);
  });

  it('delivers a frame published on the car to a NUC subscriber, payload intact', async () => {
    const jpeg = paddedJpeg(640, 480, 50_000);
    let frame: BusMessage | undefined;
    const nucSide = track(BusSubscriber.connect(bus.nuc.subscribers, { topics: [carTopic('7', 'frame')] }));
    nucSide.on((m) => (frame = m));
    const camera = track(BusPublisher.connect(bus.car.publishers, { sendHighWaterMark: 4 }));
    await publishUntilSeen(
      () => camera.send<'frame'>(carTopic('7', 'frame'), { width: 640, height: 480, format: 'jpeg' }, jpeg),
      () => frame !== undefined,
      'frame at the NUC',
    );
    expect(frame!.payload!.equals(jpeg)).toBe(true);
    expect(frame!.header).toMatchObject({ width: 640, height: 480 });
  });

  it('keeps the car-local bus working while the NUC proxy is down, and reconnects when it returns', async () => {
    const atNuc: number[] = [];
    const atCar: number[] = [];
    const nucSide = track(BusSubscriber.connect(bus.nuc.subscribers, { topics: [carTopic('7', 'telemetry')] }));
    nucSide.on((m) => atNuc.push(m.header.seq));
    const carSide = track(BusSubscriber.connect(bus.car.subscribers, { topics: [carTopic('7', 'telemetry')] }));
    carSide.on((m) => atCar.push(m.header.seq));
    const pilot = track(BusPublisher.connect(bus.car.publishers));
    const telemetry = () =>
      pilot.send<'telemetry'>(carTopic('7', 'telemetry'), {
        mode: 'user',
        angle: 0,
        throttle: 0,
        model: 'none',
        loop: { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
      });
    await publishUntilSeen(telemetry, () => atNuc.length > 0, 'telemetry at the NUC');

    await bus.nucProxy.close();
    const carBefore = atCar.length;
    for (let i = 0; i < 20; i++) {
      await telemetry();
      await sleep(10);
    }
    await waitFor(() => atCar.length >= carBefore + 20, 'car-local telemetry during the outage');

    await bus.restartNucProxy();
    const nucBefore = atNuc.length;
    await publishUntilSeen(telemetry, () => atNuc.length > nucBefore, 'telemetry at the NUC after its restart');
  });

  it('tells the car whether the NUC is there: down when its proxy goes, up when it is back', async () => {
    const reports: { up: boolean; since: number }[] = [];
    const pilotSide = track(BusSubscriber.connect(bus.car.subscribers, { topics: [carTopic('7', 'link')] }));
    pilotSide.on('link', (m) => reports.push({ up: m.header.up, since: m.header.since }));
    await waitFor(() => reports.at(-1)?.up === true || undefined, 'the link reported up', 10_000);
    expect(uplink.linkUp).toBe(true);

    const cut = Date.now();
    await bus.nucProxy.close();
    const down = await waitFor(() => reports.find((r) => !r.up && r.since >= cut), 'the link reported down', 10_000);
    expect(uplink.linkUp).toBe(false);
    // repeated while it lasts, with the time it went down
    const count = reports.length;
    await waitFor(() => reports.length > count + 1 || undefined, 'the down state repeated', 5000);
    expect(reports.slice(count).every((r) => !r.up && r.since === down.since)).toBe(true);

    await bus.restartNucProxy();
    await waitFor(() => reports.find((r) => r.up && r.since > down.since), 'the link reported up again', 10_000);
  });

  it('drops and counts malformed messages of every kind while good traffic continues', async () => {
    const good: number[] = [];
    const carSide = BusSubscriber.connect(bus.car.subscribers, { topics: ['car/7/'], limits: { maxPayloadBytes: 8 * MB, maxHeaderBytes: 65536 } });
    track(carSide);
    carSide.on((m) => good.push(m.header.seq));
    const raw = new Publisher({ linger: 0 });
    raw.connect(bus.nuc.publishers);
    const publisher = track(BusPublisher.connect(bus.nuc.publishers));
    const control = () => publisher.send<'control'>(carTopic('7', 'control'), { angle: 0.1, throttle: 0.2 });
    await publishUntilSeen(control, () => good.length > 0, 'the first good control');

    const topic = Buffer.from(carTopic('7', 'control'));
    const header = (fields: object) => Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, ...fields }));
    const malformed: Buffer[][] = [
      [topic], // too few parts
      [topic, header({ angle: 0, throttle: 0 }), Buffer.alloc(1), Buffer.alloc(1)], // too many
      [topic, Buffer.from('not json')],
      [topic, header({ angle: 5, throttle: 0 })], // out of range
      [topic, header({ angle: 0 })], // missing field
      [topic, header({ v: 99, angle: 0, throttle: 0 })], // newer schema
      [topic, header({ angle: 0, throttle: 0 }), Buffer.alloc(50 * MB)], // 50 MB payload
    ];
    for (const parts of malformed) await raw.send(parts);
    const before = good.length;
    for (let i = 0; i < 10; i++) await control();
    await waitFor(() => good.length >= before + 10, 'good controls after the malformed ones');
    // The uplink drops what it can recognise before forwarding; nothing malformed reaches the car.
    await waitFor(() => uplink.counters.dropped >= malformed.length, 'every malformed message counted');
    expect(uplink.counters.droppedBy).toMatchObject({ parts: 2, json: 1, schema: 2, version: 1, oversized: 1 });
    expect(carSide.counters.dropped).toBe(0);
    raw.close();
  });

  it('drops an oversized frame at the configured limit and keeps forwarding frames', async () => {
    const frames: number[] = [];
    const nucSide = track(BusSubscriber.connect(bus.nuc.subscribers, { topics: [carTopic('7', 'frame')] }));
    nucSide.on((m) => frames.push(m.payload!.length));
    const camera = track(BusPublisher.connect(bus.car.publishers, { sendHighWaterMark: 4 }));
    const frame = (size: number) => camera.send<'frame'>(carTopic('7', 'frame'), { width: 640, height: 480, format: 'jpeg' }, paddedJpeg(640, 480, size));
    await publishUntilSeen(() => frame(1000), () => frames.length > 0, 'first frame');
    await frame(50 * MB);
    await frame(2000);
    await waitFor(() => frames.includes(2000), 'a good frame after the oversized one');
    expect(frames).not.toContain(50 * MB);
    expect(uplink.counters.droppedBy.oversized).toBe(1);
  });
});
