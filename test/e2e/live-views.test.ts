/**
 * The dashboard's live views in Debian's chromium, each on its own socket.io namespace: the cars
 * list (`/fleet` cars), the audience screen (`/audience`), the training view (`/training`) and the
 * fleet's updates (`/fleet` fleet). The real server is fed by a real bus: a car's telemetry and its
 * agent's reports are published on a NUC proxy, as the uplink would. (The driver's screen, on
 * `/driver`, has its own test with the whole platform: driver.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtaDb } from '../../nuc/ota/index.ts';
import { buildNucServer, FleetState, type NucServer } from '../../nuc/server/index.ts';
import { JobStore } from '../../nuc/training/index.ts';
import { BusPublisher, BusSubscriber, carTopic } from '../../protocol/index.ts';
import { ensureDashboardBuilt, hasChromium, launchChromium, onPage } from '../support/browser.ts';
import { startTestBus, type TestBus } from '../support/bus.ts';
import { waitFor } from '../support/net.ts';

const CAR = '5';
const loop = { count: 1, overruns: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 };
const sim = { track: 'default', x: 0, y: 0, heading: 0, speed: 1.5, cte: 0.1, offTrack: false, offTrackEvents: 0, progress: 0.2, lap: 0, lapTimeS: 4 };

describe.skipIf(!hasChromium)('live views (chromium)', () => {
  let dir: string;
  let bus: TestBus;
  let subscriber: BusSubscriber;
  let publisher: BusPublisher;
  let db: OtaDb;
  let store: JobStore;
  let nuc: NucServer;
  let baseUrl: string;
  let browser: Browser;
  let jobId: number;
  let feeding: NodeJS.Timeout;

  beforeAll(async () => {
    ensureDashboardBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-views-'));
    bus = await startTestBus();
    subscriber = BusSubscriber.connect(bus.nuc.subscribers, { topics: ['car/', 'nuc/'] });
    publisher = BusPublisher.connect(bus.nuc.publishers);
    db = OtaDb.open(path.join(dir, 'ota.sqlite'));
    store = JobStore.open(path.join(dir, 'training.sqlite'));
    jobId = store.enqueue({ tubs: ['session-a'], kind: 'fast', trigger: 'request' }).id;
    nuc = await buildNucServer({
      fleet: new FleetState(),
      log: pino({ level: 'silent' }),
      metricsIntervalMs: 1000,
      busConnected: () => true,
      token: 'live-views-token',
      feed: subscriber,
      ota: { db, pushIntervalMs: 100 },
      training: { store, tubsDir: path.join(dir, 'tubs'), modelsDir: path.join(dir, 'models'), defaultKind: 'fast' },
    });
    await nuc.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(nuc.app.server.address() as { port: number }).port}`;
    // The car keeps reporting, as a real one does; the first messages go out before the subscription has reached the proxy.
    const report = () => {
      void publisher.send(carTopic(CAR, 'telemetry'), { mode: 'local_angle', angle: 0.25, throttle: 0.4, model: 'expert', loop, recording: true, speed: sim.speed, sim });
      void publisher.send(carTopic(CAR, 'agent'), { release: 'v3 faster pilot', slot: 'B', state: 'downloading', progress: 0.5 });
    };
    feeding = setInterval(report, 50);
    await waitFor(() => nuc.app.inject('/api/cars').then((r) => r.json<{ id: string }[]>().some((c) => c.id === CAR)), `car ${CAR} on the server`);
    browser = await launchChromium();
  });

  afterAll(async () => {
    clearInterval(feeding);
    await browser?.close();
    await nuc?.app.close();
    await subscriber?.close();
    await publisher?.close();
    await bus?.close();
    db?.close();
    store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (route: string, check: (page: Page) => Promise<void>) => onPage(browser, `${baseUrl}${route}`, check);

  it('lists the car with its mode on the cars page', () =>
    open('/', async (page) => {
      const row = page.locator(`tr[data-car="${CAR}"]`);
      await row.waitFor({ timeout: 15_000 });
      await waitFor(async () => /local_angle/.test((await row.textContent()) ?? ''), 'the mode in the cars list', 15_000, 100);
      expect(await row.textContent()).toMatch(/25%.*40%/);
    }));

  it('shows the car\'s telemetry on the audience screen', () =>
    open(`/watch/${CAR}`, async (page) => {
      const caption = page.locator('.caption');
      await waitFor(async () => /Car 5 · local_angle/.test((await caption.textContent()) ?? ''), 'the telemetry in the caption', 15_000, 100);
      expect(await caption.textContent()).toContain('● REC');
    }));

  it('lists the training job pushed on /training', () =>
    open('/training', async (page) => {
      const job = page.locator(`[data-job="${jobId}"]`);
      await job.waitFor({ timeout: 15_000 });
      expect(await job.textContent()).toContain('session-a');
    }));

  it('shows the car\'s update in progress on the fleet page', () =>
    open('/fleet', async (page) => {
      const car = page.locator(`[data-car="${CAR}"]`);
      await car.waitFor({ timeout: 15_000 });
      await waitFor(async () => /v3 faster pilot/.test((await car.textContent()) ?? ''), 'the update in progress', 15_000, 100);
    }));
});
