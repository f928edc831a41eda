/**
 * The bus end to end on real sockets: the NUC proxy on loopback TCP (secured, as npm start runs it),
 * the car-local proxy on ipc, and the uplink bridge between them with car 7's key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Publisher, XSubscriber } from 'zeromq';
import { startUplink, type Uplink } from '../../car/uplink/index.ts';
import { BusPublisher, BusSubscriber, ClientSecurity, carTopic, nucTopic, type BusEndpoints, type BusMessage } from '../../protocol/index.ts';
import { startTestBus, type TestBus } from '../support/bus.ts';
import { sleep, waitFor } from '../support/net.ts';
import { paddedJpeg } from '../support/jpegs.ts';

const MB = 1024 * 1024;
let bus: TestBus;
let uplink: Uplink;
/** the NUC bus as the wheel service reaches it */
let wheelBus: BusEndpoints;
const closers: Array<{ close(): Promise<void> }> = [];

function track<T extends { close(): Promise<void> }>(closable: T): T {
  closers.push(closable);
  return closable;
}

beforeEach(async () => {
  bus = await startTestBus();
  wheelBus = await bus.as({ name: 'wheel', role: 'nuc', service: 'wheel' });
  uplink = startUplink({ carId: '7', car: bus.car, nuc: await bus.as({ name: 'car-7', role: 'car', car: '7' }), frameSendHighWaterMark: 4 });
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
    const carSide = track(BusSubscriber.connect(bus.car, { topics: [carTopic('7', 'control')] }));
    carSide.on((m) => received.push(m));
    const wheel = track(BusPublisher.connect(wheelBus));
    await publishUntilSeen(
      () => wheel.send<'control'>(carTopic('7', 'control'), { angle: -0.5, throttle: 0.3, mode: 'user' }),
      () => received.length > 0,
      'control at the car',
    );
    expect(received[0]!.header).toMatchObject({ angle: -0.5, throttle: 0.3, mode: 'user' });
  });

  it('with control on three connections, hands each control to the car once, in order', async () => {
    const lanesUplink = startUplink({ carId: '8', car: bus.car, nuc: await bus.as({ name: 'car-8', role: 'car', car: '8' }), frameSendHighWaterMark: 4, controlLanes: 3 });
    try {
      const angles: number[] = [];
      const carSide = track(BusSubscriber.connect(bus.car, { topics: [carTopic('8', 'control')] }));
      carSide.on('control', (m) => angles.push(m.header.angle));
      const wheel = track(BusPublisher.connect(wheelBus));
      // every lane subscribed: each control then arrives three times at the uplink
      await publishUntilSeen(
        () => wheel.send<'control'>(carTopic('8', 'control'), { angle: 0, throttle: 0 }),
        () => lanesUplink.controlLanes.duplicates >= 2 * lanesUplink.controlLanes.forwarded && lanesUplink.controlLanes.forwarded > 0,
        'control on all three connections',
      );
      // all above the 0 sent while subscribing
      const sent = Array.from({ length: 50 }, (_, i) => Math.round((i / 50) * 1000) / 1000 + 0.001);
      for (const angle of sent) await wheel.send<'control'>(carTopic('8', 'control'), { angle, throttle: 0 });
      await waitFor(() => angles.at(-1) === sent.at(-1) || undefined, 'the last control at the car');
      await waitFor(() => lanesUplink.controlLanes.duplicates >= 2 * lanesUplink.controlLanes.forwarded || undefined, 'every copy at the uplink');
      expect(angles.filter((angle) => angle > 0)).toEqual(sent);
      expect(lanesUplink.controlLanes.firstBy.reduce((a, b) => a + b, 0)).toBe(lanesUplink.controlLanes.forwarded);
    } finally {
      await lanesUplink.close();
    }
  });

  it('hands a handler registered for one kind only that kind\'s messages, the rest to the catch-all', async () => {
    const sims: number[] = [];
    const all: string[] = [];
    const carSide = track(BusSubscriber.connect(bus.car, { topics: ['car/7/'] }));
    carSide.on('sim', (m) => sims.push(m.header.x));
    carSide.on((m) => all.push(m.kind));
    const sim = track(BusPublisher.connect(bus.car));
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
    const agentSide = track(BusSubscriber.connect(bus.car, { topics: [nucTopic('ota', 'release')] }));
    agentSide.on((m) => received.push(m));
    const server = track(BusPublisher.connect(bus.nuc));
    await publishUntilSeen(
      () => server.send<'release'>(nucTopic('ota', 'release'), { timestamp: 12 }),
      () => received.length > 0,
      'the hint at the car',
    );
    expect(received[0]).toMatchObject({ topicText: 'nuc/ota/release', header: { timestamp: 12 } });
  });

  it('does not deliver car 70 control to car 7', async () => {
    const received: string[] = [];
    const carSide = track(BusSubscriber.connect(bus.car, { topics: ['car/7/'] }));
    // the prefix also brings the uplink's car/7/link reports; what matters is whose control arrives
    carSide.on('control', (m) => received.push(m.topicText));
    const wheel = track(BusPublisher.connect(wheelBus));
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
    const nucSide = track(BusSubscriber.connect(bus.nuc, { topics: [carTopic('7', 'frame')] }));
    nucSide.on((m) => (frame = m));
    const camera = track(BusPublisher.connect(bus.car, { sendHighWaterMark: 4 }));
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
    const nucSide = track(BusSubscriber.connect(bus.nuc, { topics: [carTopic('7', 'telemetry')] }));
    nucSide.on((m) => atNuc.push(m.header.seq));
    const carSide = track(BusSubscriber.connect(bus.car, { topics: [carTopic('7', 'telemetry')] }));
    carSide.on((m) => atCar.push(m.header.seq));
    const pilot = track(BusPublisher.connect(bus.car));
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
    const carSide = track(BusSubscriber.connect(bus.car, { topics: ['car/7/'] }));
    carSide.on((m) => good.push(m.header.seq));
    // a paired publisher built from a raw socket: it seals what it sends, whatever that is
    const wheelKeys = new ClientSecurity(bus.keysOf('wheel'));
    const raw = new Publisher({ linger: 0, ...wheelKeys.socketOptions() });
    raw.connect(wheelBus.publishers);
    const sendSealed = (parts: Buffer[]) => raw.send([...parts, wheelKeys.sealer.seal(parts)]);
    const publisher = track(BusPublisher.connect(wheelBus));
    const control = () => publisher.send<'control'>(carTopic('7', 'control'), { angle: 0.1, throttle: 0.2 });
    await publishUntilSeen(control, () => good.length > 0, 'the first good control');
    const rawControl = Buffer.from(JSON.stringify({ v: 1, seq: 999, ts: 1, angle: 0, throttle: 0 }));
    await publishUntilSeen(() => sendSealed([Buffer.from(carTopic('7', 'control')), rawControl]), () => good.includes(999), 'the raw publisher through the proxy');

    const topic = Buffer.from(carTopic('7', 'control'));
    const header = (fields: object) => Buffer.from(JSON.stringify({ v: 1, seq: 0, ts: 1, ...fields }));
    const before = { ...bus.nucProxy.counters.droppedBy };
    const malformed: Buffer[][] = [
      [topic], // too few parts
      [topic, header({ angle: 0, throttle: 0 }), Buffer.alloc(1), Buffer.alloc(1)], // too many
      [topic, Buffer.from('not json')],
      [topic, header({ angle: 5, throttle: 0 })], // out of range
      [topic, header({ angle: 0 })], // missing field
      [topic, header({ angle: 0, throttle: 0, note: 'x'.repeat(1000) })], // a field the schema does not name
      [topic, Buffer.from(`{"v":1,"seq":0,"ts":1,"angle":0,"throttle":0,"input":"x","x":${'['.repeat(50)}${']'.repeat(50)}}`)], // deep
      [topic, header({ v: 99, angle: 0, throttle: 0 })], // newer schema
    ];
    for (const parts of malformed) await sendSealed(parts);
    const goodBefore = good.length;
    for (let i = 0; i < 10; i++) await control();
    await waitFor(() => good.length >= goodBefore + 10, 'good controls after the malformed ones');
    const counted = (reason: string) => (bus.nucProxy.counters.droppedBy[reason] ?? 0) - (before[reason] ?? 0);
    await waitFor(() => ['parts', 'json', 'schema', 'unknown-field', 'depth', 'version'].reduce((n, r) => n + counted(r), 0) >= malformed.length, 'every malformed message counted');
    expect(Object.fromEntries(['parts', 'json', 'schema', 'unknown-field', 'depth', 'version'].map((r) => [r, counted(r)]))).toEqual({
      parts: 2,
      json: 1,
      schema: 2,
      'unknown-field': 1,
      depth: 1,
      version: 1,
    });
    // nothing malformed crossed the proxy: neither the uplink nor the car had anything to drop
    expect(uplink.counters.dropped).toBe(0);
    expect(carSide.counters.dropped).toBe(0);
    raw.close();
  });

  it('refuses a message over the bus size at the socket, before the proxy reads it, and takes the sender back', async () => {
    const controls: number[] = [];
    const carSide = track(BusSubscriber.connect(bus.car, { topics: [carTopic('7', 'control')] }));
    carSide.on((m) => controls.push(m.header.seq));
    const wheelKeys = new ClientSecurity(bus.keysOf('wheel'));
    const raw = new Publisher({ linger: 0, reconnectInterval: 50, ...wheelKeys.socketOptions() });
    raw.connect(wheelBus.publishers);
    const sendSealed = (parts: Buffer[]) => raw.send([...parts, wheelKeys.sealer.seal(parts)]);
    const good = (seq: number) => sendSealed([Buffer.from(carTopic('7', 'control')), Buffer.from(JSON.stringify({ v: 1, seq, ts: 1, angle: 0, throttle: 0 }))]);
    await publishUntilSeen(() => good(1), () => controls.length > 0, 'the first control');
    // libzmq disconnects a peer whose message part exceeds maxMessageSize, without buffering it
    await sendSealed([Buffer.from(carTopic('7', 'control')), Buffer.from('{}'), Buffer.alloc(2 * MB)]);
    await publishUntilSeen(() => good(2), () => controls.includes(2), 'a control from the same socket after it reconnected');
    // had the proxy read it, the codec would have counted it (a control carries no payload)
    expect(bus.nucProxy.counters.droppedBy).not.toHaveProperty('payload');
    expect(bus.nucProxy.counters.droppedBy).not.toHaveProperty('oversized');
    raw.close();
  });

  it('drops an oversized frame at the car\'s bus and keeps forwarding frames', async () => {
    const frames: number[] = [];
    const nucSide = track(BusSubscriber.connect(bus.nuc, { topics: [carTopic('7', 'frame')] }));
    nucSide.on((m) => frames.push(m.payload!.length));
    const camera = track(BusPublisher.connect(bus.car, { sendHighWaterMark: 4 }));
    const frame = (size: number) => camera.send<'frame'>(carTopic('7', 'frame'), { width: 640, height: 480, format: 'jpeg' }, paddedJpeg(640, 480, size));
    await publishUntilSeen(() => frame(1000), () => frames.length > 0, 'first frame');
    await frame(50 * MB);
    await publishUntilSeen(() => frame(2000), () => frames.includes(2000), 'a good frame after the oversized one');
    expect(frames).not.toContain(50 * MB);
  });

  it('applies only the subscriptions a key may read: a viewer gets car 7\'s frames, not its controls', async () => {
    const viewerBus = await bus.as({ name: 'phone', role: 'viewer' });
    const everything: string[] = [];
    const frames: string[] = [];
    track(BusSubscriber.connect(viewerBus, { topics: ['car/'] })).on((m) => everything.push(m.topicText));
    track(BusSubscriber.connect(viewerBus, { topics: [carTopic('7', 'frame')] })).on((m) => frames.push(m.topicText));
    const camera = track(BusPublisher.connect(bus.car, { sendHighWaterMark: 4 }));
    const wheel = track(BusPublisher.connect(wheelBus));
    await publishUntilSeen(
      async () => {
        await camera.send<'frame'>(carTopic('7', 'frame'), { width: 640, height: 480, format: 'jpeg' }, paddedJpeg(640, 480, 100));
        await wheel.send<'control'>(carTopic('7', 'control'), { angle: 0, throttle: 0 });
      },
      () => frames.length > 3,
      'frames at the viewer',
    );
    expect(everything).toEqual([]);
    expect(bus.nucProxy.counters.droppedBy['subscription-not-permitted']).toBeGreaterThanOrEqual(1);
  });

  it('stops sending what a secured subscriber unsubscribed from, and a renewal of the side does not bring it back (the compositor follows demand so)', async () => {
    const compositorBus = await bus.as({ name: 'compositor', role: 'nuc', service: 'compositor' });
    const seen: string[] = [];
    const compositor = track(BusSubscriber.connect(compositorBus, { topics: [carTopic('7', 'frame'), carTopic('7', 'telemetry')] }));
    compositor.on((m) => seen.push(m.kind));
    const camera = track(BusPublisher.connect(bus.car, { sendHighWaterMark: 4 }));
    const loop = { count: 0, overruns: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const send = async (): Promise<void> => {
      await camera.send<'frame'>(carTopic('7', 'frame'), { width: 640, height: 480, format: 'jpeg' }, paddedJpeg(640, 480, 100));
      await camera.send<'telemetry'>(carTopic('7', 'telemetry'), { mode: 'user', angle: 0, throttle: 0, model: 'none', loop });
    };
    await publishUntilSeen(send, () => seen.includes('frame') && seen.includes('telemetry'), 'frames and telemetry at the compositor');
    compositor.unsubscribe(carTopic('7', 'frame'));
    // the cancellation is sent after everything before it: once telemetry alone arrives, it took
    await publishUntilSeen(send, () => seen.slice(-6).every((kind) => kind === 'telemetry') && seen.length >= 6, 'telemetry without frames');
    // a renewal makes every subscriber connect and subscribe again: only what it still wants
    const phone = track(BusSubscriber.connect(await bus.as({ name: 'phone', role: 'viewer' }), { topics: [carTopic('7', 'frame')] }));
    let phoneFrames = 0;
    phone.on(() => phoneFrames++);
    await publishUntilSeen(send, () => phoneFrames > 0, 'frames at the viewer');
    await bus.unpair('phone');
    await waitFor(() => bus.nucProxy.stats.renewals > 0, 'the subscribers\' side renewed');
    const before = seen.length;
    await publishUntilSeen(send, () => seen.length > before + 5, 'telemetry after the renewal');
    expect(seen.slice(before)).not.toContain('frame');
  });

  it('renews the subscribers\' side when a subscriber sends something that is no subscription, and the others come back', async () => {
    const frames: number[] = [];
    track(BusSubscriber.connect(bus.nuc, { topics: [carTopic('7', 'frame')] })).on((m) => frames.push(m.header.seq));
    const camera = track(BusPublisher.connect(bus.car, { sendHighWaterMark: 4 }));
    const frame = () => camera.send<'frame'>(carTopic('7', 'frame'), { width: 640, height: 480, format: 'jpeg' }, paddedJpeg(640, 480, 100));
    await publishUntilSeen(frame, () => frames.length > 0, 'frames at the NUC');
    // a paired peer's raw XSUB socket: garbage where a subscription belongs
    const peer = new ClientSecurity(bus.keysOf('wheel'));
    const raw = new XSubscriber({ linger: 0, ...peer.socketOptions() });
    raw.connect(bus.nuc.subscribers);
    await raw.send(Buffer.from('not a subscription'));
    await waitFor(() => bus.nucProxy.stats.renewals > 0, 'the subscribers\' side renewed');
    expect(bus.nucProxy.counters.droppedBy['subscription-junk']).toBeGreaterThanOrEqual(1);
    const before = frames.length;
    await publishUntilSeen(frame, () => frames.length > before, 'frames at the NUC after the renewal');
    raw.close();
  });
});
