/** The server as browsers and scripts use it: REST through app.inject, live sockets through a real socket.io client. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../test/support/net.ts';
import sharp from 'sharp';
import { BackgroundLibrary } from '../compositor/index.ts';
import { buildNucServer, type NucServer } from './app.ts';
import type { ControlFields } from './control-relay.ts';
import { SettingsStore } from './settings-store.ts';
import { jpegHeaderOnly } from '../../test/support/jpegs.ts';
import { busMessage, FakeFeed, serverBasics, telemetry } from '../../test/support/server-feed.ts';
import type { VideoFrameHeader } from './video-hub.ts';

const TOKEN = 'secret-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const jpeg = jpegHeaderOnly(4, 3);

let dir: string;
let feed: FakeFeed;
let sent: [string, ControlFields][];
let erased: [string, { seconds: number }][];
let nuc: NucServer;
let sockets: Socket[];

async function start(dashboardDir = path.join(dir, 'no-dist'), backgrounds?: BackgroundLibrary): Promise<void> {
  feed = new FakeFeed();
  sent = [];
  erased = [];
  nuc = await buildNucServer({
    ...serverBasics(TOKEN, feed),
    control: (car, fields) => sent.push([car, fields]),
    erase: (car, fields) => erased.push([car, fields]),
    settings: await SettingsStore.open(path.join(dir, 'nuc', 'settings.json')),
    dashboardDir,
    ...(backgrounds ? { backgrounds } : {}),
  });
}

async function listen(): Promise<string> {
  await nuc.app.listen({ port: 0, host: '127.0.0.1' });
  const address = nuc.app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

function client(url: string, namespace: string, token?: string): Socket {
  const socket = connect(`${url}${namespace}`, { transports: ['websocket'], reconnection: false, ...(token ? { auth: { token } } : {}) });
  sockets.push(socket);
  return socket;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-server-'));
  sockets = [];
  await start();
  feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry({ angle: 0.1 })));
});

afterEach(async () => {
  for (const socket of sockets) socket.disconnect();
  await nuc.app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('REST', () => {
  it('keeps /healthz, /metrics, /api/cars and /api/services', async () => {
    expect((await nuc.app.inject('/healthz')).json()).toMatchObject({ status: 'ok' });
    expect((await nuc.app.inject('/metrics')).body).toContain('edge_car_angle{car="1"} 0.1');
    expect((await nuc.app.inject('/api/cars')).json()).toMatchObject([{ id: '1', telemetry: { angle: 0.1 } }]);
    expect((await nuc.app.inject('/api/services')).statusCode).toBe(200);
  });

  it('a car action with the token goes on the bus as control', async () => {
    const response = await nuc.app.inject({ method: 'POST', url: '/api/cars/1/actions', headers: auth, payload: { mode: 'local', estop: false } });
    expect(response.statusCode).toBe(202);
    expect(sent).toEqual([['1', { angle: 0, throttle: 0, input: 'browser', mode: 'local', estop: false }]]);
  });

  it('refuses control without the token or with a wrong one, with a clear JSON error', async () => {
    const missing = await nuc.app.inject({ method: 'POST', url: '/api/cars/1/actions', payload: { estop: true } });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().message).toMatch(/needs the control token/);
    const wrong = await nuc.app.inject({ method: 'POST', url: '/api/cars/1/actions', headers: { authorization: 'Bearer nope' }, payload: { estop: true } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toMatch(/wrong/);
    const settings = await nuc.app.inject({ method: 'PUT', url: '/api/settings/panning', payload: { scale: 3 } });
    expect(settings.statusCode).toBe(401);
    expect(sent).toEqual([]);
  });

  it.each([
    [{}, /fewer than 1/],
    [{ mode: 'turbo' }, /mode/],
    [{ estop: 'true' }, /estop/],
    [{ estop: true, launch: 'missiles' }, /additional/],
  ])('rejects the bad action body %j with 400', async (payload, message) => {
    const response = await nuc.app.inject({ method: 'POST', url: '/api/cars/1/actions', headers: auth, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
    expect(sent).toEqual([]);
  });

  it('rejects a bad car id and an unknown car', async () => {
    expect((await nuc.app.inject({ method: 'POST', url: '/api/cars/no%20pe/actions', headers: auth, payload: { estop: true } })).statusCode).toBe(400);
    const unknown = await nuc.app.inject({ method: 'POST', url: '/api/cars/9/actions', headers: auth, payload: { estop: true } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/no car "9"/);
  });

  it('changes the wheel mapping live: validated, token required, written where the wheel service reads it', async () => {
    const mapping = (await nuc.app.inject('/api/settings/wheel')).json();
    expect(mapping.steeringScale).toBeTypeOf('number');
    const noToken = await nuc.app.inject({ method: 'PUT', url: '/api/settings/wheel', payload: { ...mapping, topSpeed: 40 } });
    expect(noToken.statusCode).toBe(401);
    const bad = await nuc.app.inject({ method: 'PUT', url: '/api/settings/wheel', headers: auth, payload: { ...mapping, steeringScale: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/steeringScale/);
    const put = await nuc.app.inject({ method: 'PUT', url: '/api/settings/wheel', headers: auth, payload: { ...mapping, topSpeed: 40 } });
    expect(put.statusCode).toBe(200);
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'nuc', 'settings.json'), 'utf8'));
    expect(onDisk.wheel.topSpeed).toBe(40);
  });

  it('stores keying and panning settings on disk, validating them', async () => {
    const keying = (await nuc.app.inject('/api/settings/keying')).json();
    expect(keying.hueCenter).toBeTypeOf('number');
    const updated = { ...keying, hueCenter: 120, softness: 0.2 };
    const put = await nuc.app.inject({ method: 'PUT', url: '/api/settings/keying', headers: auth, payload: updated });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual(updated);
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'nuc', 'settings.json'), 'utf8'));
    expect(onDisk.keying).toEqual(updated);

    const bad = await nuc.app.inject({ method: 'PUT', url: '/api/settings/keying', headers: auth, payload: { ...updated, softness: 3 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/softness/);
    const partial = await nuc.app.inject({ method: 'PUT', url: '/api/settings/background', headers: auth, payload: { name: 'stadium' } });
    expect(partial.statusCode).toBe(400);
    expect(partial.json().message).toMatch(/filter/);
    const unknownFilter = await nuc.app.inject({ method: 'PUT', url: '/api/settings/background', headers: auth, payload: { name: 'stadium', filter: 'blur' } });
    expect(unknownFilter.statusCode).toBe(400);
    expect((await nuc.app.inject('/api/settings')).json().keying).toEqual(updated);
  });

  it('without a dashboard build, pages say how to build it and unknown API paths are JSON 404s', async () => {
    const page = await nuc.app.inject('/drive/1');
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
    const api = await nuc.app.inject('/api/nothing');
    expect(api.statusCode).toBe(404);
    expect(api.json().message).toMatch(/does not exist/);
  });

  it('serves the built dashboard with a fallback to index.html for app routes', async () => {
    await nuc.app.close();
    const dist = path.join(dir, 'dist');
    fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.html'), '<div id="app"></div>');
    fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
    await start(dist);
    expect((await nuc.app.inject('/')).body).toContain('id="app"');
    expect((await nuc.app.inject('/watch/1')).body).toContain('id="app"');
    expect((await nuc.app.inject('/assets/app.js')).body).toContain('console.log');
    expect((await nuc.app.inject('/assets/missing.js')).statusCode).toBe(404);
  });
});

describe('backgrounds', () => {
  it('lists and serves backgrounds; uploads need the token and a real image', async () => {
    await nuc.app.close();
    await start(undefined, new BackgroundLibrary({ dir: path.join(dir, 'backgrounds'), frameWidth: 64, frameHeight: 48 }));
    const list = (await nuc.app.inject('/api/backgrounds')).json() as { name: string; builtIn: boolean }[];
    expect(list.filter((b) => b.builtIn).map((b) => b.name)).toEqual(['mountains', 'neon-grid', 'stadium']);
    const image = await nuc.app.inject('/api/backgrounds/stadium');
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.rawPayload.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // the stored file as it is, with an ETag: a browser that has it gets 304 and no body
    expect(image.rawPayload.equals(fs.readFileSync(path.join(dir, 'backgrounds', 'stadium.jpg')))).toBe(true);
    const etag = image.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await nuc.app.inject({ url: '/api/backgrounds/stadium', headers: { 'if-none-match': etag } });
    expect([again.statusCode, again.rawPayload.length, again.headers.etag]).toEqual([304, 0, etag]);
    expect((await nuc.app.inject('/api/backgrounds/nope')).statusCode).toBe(404);

    const png = await sharp({ create: { width: 128, height: 48, channels: 3, background: '#336699' } }).png().toBuffer();
    const upload = (headers: Record<string, string>, payload: Buffer, name = 'track-side') =>
      nuc.app.inject({ method: 'POST', url: `/api/backgrounds?name=${name}`, headers, payload });
    expect((await upload({ 'content-type': 'image/png' }, png)).statusCode).toBe(401);
    const notImage = await upload({ ...auth, 'content-type': 'image/png' }, Buffer.from('hello'));
    expect(notImage.statusCode).toBe(415);
    expect(notImage.json().message).toMatch(/not a JPEG, PNG or WebP/);
    expect((await upload({ ...auth, 'content-type': 'image/png' }, png, 'Bad Name')).statusCode).toBe(400);
    const stored = await upload({ ...auth, 'content-type': 'image/png' }, png);
    expect(stored.statusCode).toBe(201);
    expect(stored.json()).toMatchObject({ name: 'track-side', height: 48, builtIn: false });
    expect((await upload({ ...auth, 'content-type': 'image/png' }, png)).statusCode).toBe(409);
    const replaced = await upload({ ...auth, 'content-type': 'image/png' }, await sharp({ create: { width: 200, height: 48, channels: 3, background: '#993366' } }).png().toBuffer());
    expect(replaced.statusCode).toBe(409);
    const before = (await nuc.app.inject('/api/backgrounds/track-side')).headers.etag;
    await nuc.app.inject({ method: 'POST', url: '/api/backgrounds?name=track-side&replace=true', headers: { ...auth, 'content-type': 'image/png' }, payload: await sharp({ create: { width: 200, height: 48, channels: 3, background: '#993366' } }).png().toBuffer() });
    expect((await nuc.app.inject('/api/backgrounds/track-side')).headers.etag).not.toBe(before);
  });
});

describe('sockets', () => {
  it('the driver with the token steers the car it watches; bad and unauthorised input never reaches the bus', async () => {
    const url = await listen();
    const driver = client(url, '/driver', TOKEN);
    const hello = await new Promise<{ canDrive: boolean }>((resolve) => driver.once('hello', resolve));
    expect(hello.canDrive).toBe(true);
    expect(await driver.emitWithAck('watch', '1')).toEqual({ ok: true, video: 'composited' });
    driver.emit('input', { angle: 'left', throttle: 0 });
    driver.emit('input', { angle: 2, throttle: 0 });
    driver.emit('input', { angle: 0.5, throttle: 0.2 });
    await waitFor(() => sent.length > 0, 'a control message');
    expect(sent).toEqual([['1', { angle: 0.5, throttle: 0.2, input: 'browser' }]]);
    expect(nuc.live.inputStats.rejected).toEqual({ angle: 2 });

    expect(await driver.emitWithAck('action', { estop: true })).toEqual({ ok: true });
    expect(sent[1]).toEqual(['1', { angle: 0.5, throttle: 0, input: 'browser', estop: true }]);
    expect((await driver.emitWithAck('action', { estop: 'yes' })).error).toMatch(/estop/);

    const watcher = client(url, '/driver');
    expect((await new Promise<{ canDrive: boolean }>((resolve) => watcher.once('hello', resolve))).canDrive).toBe(false);
    await watcher.emitWithAck('watch', '1');
    watcher.emit('input', { angle: 1, throttle: 1 });
    expect((await watcher.emitWithAck('action', { mode: 'local' })).error).toMatch(/token/);
    expect(sent).toHaveLength(2);
    expect(nuc.live.inputStats.rejected.token).toBe(2);

    // a car this NUC never heard from gets no control and no state, token or not
    expect(await driver.emitWithAck('watch', 'x9')).toEqual({ ok: true, video: 'composited' });
    driver.emit('input', { angle: 0.1, throttle: 0.1 });
    expect((await driver.emitWithAck('action', { mode: 'local' })).error).toMatch(/no car "x9"/);
    expect(sent).toHaveLength(2);
    expect(nuc.live.inputStats.rejected['unknown-car']).toBe(2);
  });

  it('erases the last seconds of the watched car\'s recording only with the token, a known car and a bounded span', async () => {
    const url = await listen();
    const driver = client(url, '/driver', TOKEN);
    await driver.emitWithAck('watch', '1');
    expect(await driver.emitWithAck('erase', 5)).toEqual({ ok: true });
    for (const bad of [0, 61, 2.5, '5', null]) expect((await driver.emitWithAck('erase', bad)).error).toMatch(/1\.\.60/);
    const watcher = client(url, '/driver');
    await watcher.emitWithAck('watch', '1');
    expect((await watcher.emitWithAck('erase', 5)).error).toMatch(/token/);
    await driver.emitWithAck('watch', 'x9');
    expect((await driver.emitWithAck('erase', 5)).error).toMatch(/no car "x9"/);
    expect(erased).toEqual([['1', { seconds: 5 }]]);
    expect(nuc.live.inputStats.rejected.erase).toBe(5);
  });

  it('passes the battery block of the telemetry to the driver and the cars list, and nothing the schema does not name', async () => {
    feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry({ angle: 0.1, battery: { volts: 7.42, amps: 1.5, low: false } })));
    await waitFor(async () => (await nuc.app.inject('/api/cars')).json()[0]?.telemetry?.battery !== undefined, 'the battery in /api/cars');
    expect((await nuc.app.inject('/api/cars')).json()[0].telemetry.battery).toEqual({ volts: 7.42, amps: 1.5, low: false });
  });

  it('sends raw camera frames to a browser compositing on its GPU, the composite to the others, and checks every watch', async () => {
    const url = await listen();
    const gpu = client(url, '/audience');
    const sources: string[] = [];
    gpu.on('frame', (header: VideoFrameHeader, _bytes: Buffer, ack: () => void) => {
      sources.push(header.source);
      ack();
    });
    const looks: unknown[] = [];
    gpu.on('look', (look: unknown) => looks.push(look));
    expect(await gpu.emitWithAck('watch', { car: '1', video: 'raw' })).toEqual({ ok: true, video: 'raw' });
    expect(nuc.video.composedCars()).toEqual([]);
    expect((await gpu.emitWithAck('watch', { car: '1', video: 'gpu' })).error).toMatch(/video must be one of raw, composited/);
    expect((await gpu.emitWithAck('watch', { car: '1', video: 'raw', extra: 1 })).error).toMatch(/not extra/);
    expect((await gpu.emitWithAck('watch', ['1'])).error).toMatch(/car id or \{car, video\}/);
    await gpu.emitWithAck('watch', { car: '1', video: 'raw' });
    feed.emit(busMessage<'view'>('car/1/view', { width: 4, height: 3, format: 'jpeg', frameSeq: 1, frameTs: 1, compositeMs: 2, angle: 0 }, jpeg, 1));
    feed.emit(busMessage<'frame'>('car/1/frame', { ts: 1234, width: 4, height: 3, format: 'jpeg' }, jpeg, 2));
    await waitFor(() => sources.length > 0 && looks.length > 0, 'a raw frame and the look');
    expect(sources).toEqual(['frame']);
    expect(looks[0]).toMatchObject({ background: 'mountains', panScale: 6, filter: 'none', keying: { hueCenter: 140 } });

    const driver = client(url, '/driver', TOKEN);
    await driver.emitWithAck('watch', { car: '1', video: 'composited' });
    expect(nuc.video.composedCars()).toEqual(['1']);
    expect(await driver.emitWithAck('reset')).toEqual({ ok: false, error: 'this NUC has no shared track to reset cars on' });
    expect((await client(url, '/driver').emitWithAck('reset')).error).toMatch(/token/);
  });

  it('the audience gets video with its timing header and live telemetry, without a token', async () => {
    const url = await listen();
    const audience = client(url, '/audience');
    const frames: [VideoFrameHeader, Buffer][] = [];
    audience.on('frame', (header: VideoFrameHeader, bytes: Buffer, ack: () => void) => {
      frames.push([header, Buffer.from(bytes)]);
      ack();
    });
    const telemetrySeen: { car: string; angle: number }[] = [];
    audience.on('telemetry', (t: { car: string; angle: number }) => telemetrySeen.push(t));
    await audience.emitWithAck('watch', '1');
    feed.emit(busMessage<'frame'>('car/1/frame', { ts: 1234, width: 4, height: 3, format: 'jpeg' }, jpeg, 9));
    feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry({ angle: -0.3 })));
    await waitFor(() => frames.length > 0 && telemetrySeen.some((t) => t.angle === -0.3), 'a frame and telemetry');
    expect(frames[0]![0]).toMatchObject({ car: '1', seq: 9, frameTs: 1234, source: 'frame' });
    expect(frames[0]![0].serverTs).toBeGreaterThan(0);
    expect(frames[0]![1].equals(jpeg)).toBe(true);
  });

  it("the driver sees the recorder's failure for the car they watch, also when they arrive after it", async () => {
    const url = await listen();
    feed.emit(busMessage<'recording'>('nuc/recorder/recording', { car: '1', state: 'failed', tub: 'tub_1', records: 42, error: 'recording car 1 stopped: ENOSPC' }));
    feed.emit(busMessage<'recording'>('nuc/recorder/recording', { car: '2', state: 'recording', tub: 'tub_2', records: 3 }));
    const driver = client(url, '/driver');
    const seen: { car: string; state: string; error?: string }[] = [];
    driver.on('recording', (r: { car: string; state: string; error?: string }) => seen.push(r));
    await driver.emitWithAck('watch', '1');
    await waitFor(() => seen.length > 0, 'the recording state on watch');
    expect(seen[0]).toMatchObject({ car: '1', state: 'failed', records: 42, error: expect.stringContaining('ENOSPC') });
    feed.emit(busMessage<'recording'>('nuc/recorder/recording', { car: '1', state: 'recording', tub: 'tub_3', records: 0 }));
    await waitFor(() => seen.length > 1, 'the next recording state');
    expect(seen.map((r) => r.car)).toEqual(['1', '1']);
  });

  it('a browser that has not acknowledged a frame gets no more until it does', async () => {
    const url = await listen();
    const audience = client(url, '/audience');
    const acks: (() => void)[] = [];
    const seqs: number[] = [];
    audience.on('frame', (header: VideoFrameHeader, _bytes: Buffer, ack: () => void) => {
      seqs.push(header.seq);
      acks.push(ack);
    });
    await audience.emitWithAck('watch', '1');
    for (let seq = 1; seq <= 5; seq++) feed.emit(busMessage<'frame'>('car/1/frame', { width: 4, height: 3, format: 'jpeg' }, jpeg, seq));
    await waitFor(() => seqs.length === 1, 'the first frame');
    acks.shift()!();
    await waitFor(() => seqs.length === 2, 'the newest frame');
    expect(seqs).toEqual([1, 5]);
    expect(nuc.video.stats.dropped).toBe(3);
  });

  it('the fleet namespace lists cars and announces lap times', async () => {
    const url = await listen();
    const fleet = client(url, '/fleet');
    const cars = await new Promise<{ id: string }[]>((resolve) => fleet.once('cars', resolve));
    expect(cars.map((c) => c.id)).toEqual(['1']);
    const board = new Promise<{ top: { car: string; timeS: number }[] }>((resolve) => fleet.on('leaderboard', (b) => b.top.length && resolve(b)));
    const sim = { track: 'default', x: 0, y: 0, heading: 0, speed: 1, cte: 0, offTrack: false, offTrackEvents: 0, progress: 0.1, lap: 1, lapTimeS: 1, lastLapS: 23.4, bestLapS: 23.4 };
    // the NUC believes a lap it watched: lap 0 starts, and 23.4 s later (its clock) lap 1 is done
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry({ sim: { ...sim, lap: 0 } })));
      vi.setSystemTime(Date.now() + 23_400);
      feed.emit(busMessage<'telemetry'>('car/1/telemetry', telemetry({ sim })));
    } finally {
      vi.useRealTimers();
    }
    expect((await board).top).toMatchObject([{ car: '1', timeS: 23.4 }]);
    expect((await nuc.app.inject('/api/leaderboard')).json().top).toMatchObject([{ car: '1', lap: 1, timeS: 23.4 }]);
  });
});
