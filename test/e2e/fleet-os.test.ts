/**
 * The car OS on the fleet page, in Debian's chromium, with the real server fed by a real bus: a car
 * reports its OS update from installing to waiting for a reboot, and how much it downloaded for it;
 * the operator presses "Reboot into <version>" on /fleet; the release hint on the bus (what the
 * car's agent listens to) names the car; the car comes back on its new slot and reports it good. Another car reports that its OS update
 * rolled back, and why: the page shows it as a failure, and the release as withdrawn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtaDb, ReleaseHints, type ReleaseHintFields } from '../../nuc/ota/index.ts';
import { buildNucServer, FleetState, type NucServer } from '../../nuc/server/index.ts';
import { BusPublisher, BusSubscriber, carTopic, nucTopic, type FieldsOf } from '../../protocol/index.ts';
import { ensureDashboardBuilt, hasChromium, launchChromium, onPage, recordPage } from '../support/browser.ts';
import { startTestBus, type TestBus } from '../support/bus.ts';
import { waitFor } from '../support/net.ts';

const TOKEN = 'fleet-os-token';
const OLD_OS = '0.1.0-aaaa1111';
const NEW_OS = '0.2.0-bbbb2222';
const BAD_OS = '0.3.0-cccc3333';
/** what car 5 reports it downloaded for its OS update: 36.5 MB */
const DOWNLOADED_BYTES = 38_273_024;
const ROLLED_BACK_REASON = 'booted slot A, the trial was on B: the new OS did not come up (no journal of the failed boot: it is volatile)';

type AgentFields = FieldsOf<'agent'>;

/** A release as the NUC recorded its publish (the repository's files do not matter to the page). */
function recordRelease(db: OtaDb, version: number, osVersion?: string): void {
  const file = { path: 'service.js', target: 'services/pilot/service.js', sha256: String(version).repeat(64).slice(0, 64), length: 1 };
  const label = osVersion ? `car OS ${osVersion}` : 'pilot';
  const manifest = {
    schema: 1,
    version,
    label,
    createdAt: new Date().toISOString(),
    services: { pilot: { entry: 'service.js', files: [file], strategy: 'handover', needsHardware: false, externals: [] } },
    ...(osVersion ? { os: { version: osVersion, compatible: 'edge-car-qemu-x86_64', bundle: { path: 'os.raucb', target: `os/car-${osVersion}-qemu-x86_64.raucb`, sha256: 'e'.repeat(64), length: 1 } } } : {}),
  };
  db.recordRelease({ version, label, createdAt: manifest.createdAt, manifest });
}

describe.skipIf(!hasChromium)('the car OS on /fleet (chromium)', () => {
  let dir: string;
  let bus: TestBus;
  let nucSubscriber: BusSubscriber;
  let nucPublisher: BusPublisher;
  let cars: Record<string, BusPublisher>;
  let carHints: BusSubscriber;
  let db: OtaDb;
  let hints: ReleaseHints;
  let nuc: NucServer;
  let baseUrl: string;
  let browser: Browser;
  let feeding: NodeJS.Timeout;
  /** what each car's agent reports now; the cars repeat it, as the agent's heartbeat does */
  const reports: Record<string, AgentFields> = {};
  /** the release hints car 5's side of the bus received */
  const received: ReleaseHintFields[] = [];

  beforeAll(async () => {
    ensureDashboardBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-os-'));
    bus = await startTestBus();
    nucSubscriber = BusSubscriber.connect(bus.nuc, { topics: ['car/', 'nuc/'] });
    nucPublisher = BusPublisher.connect(bus.nuc);
    db = OtaDb.open(path.join(dir, 'ota.sqlite'));
    recordRelease(db, 1);
    recordRelease(db, 2, NEW_OS);
    recordRelease(db, 3, BAD_OS);
    // the server's release hint goes out on the bus, as the service sends it
    hints = new ReleaseHints({ send: (fields) => void nucPublisher.send(nucTopic('ota', 'release'), fields), timestamp: () => 0 });
    nuc = await buildNucServer({
      fleet: new FleetState(),
      log: pino({ level: 'silent' }),
      metricsIntervalMs: 1000,
      busConnected: () => true,
      token: TOKEN,
      feed: nucSubscriber,
      ota: { db, hints, pushIntervalMs: 100 },
      repository: { repositoryDir: path.join(dir, 'repository'), db },
    });
    await nuc.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(nuc.app.server.address() as { port: number }).port}`;

    // each car's agent reports with the car's own key, as its uplink sends them; car 5 listens for hints as its agent does
    cars = {};
    for (const car of ['5', '6']) cars[car] = BusPublisher.connect(await bus.as({ name: `car-${car}`, role: 'car', car }));
    carHints = BusSubscriber.connect(await bus.as({ name: 'car-5', role: 'car', car: '5' }), { topics: [nucTopic('ota', 'release')] });
    carHints.on((message) => {
      if (message.kind === 'release') received.push(message.header);
    });
    reports['5'] = {
      release: `car OS ${NEW_OS} v2`,
      slot: 'A',
      state: 'os-installing',
      progress: 0.5,
      version: 1,
      os: OLD_OS,
      osSlots: { booted: 'A', A: { state: 'good', version: OLD_OS }, B: { state: 'inactive' } },
      osUpdate: { version: NEW_OS, outcome: 'installing', at: Date.now() },
    };
    reports['6'] = {
      release: 'pilot v1',
      slot: 'A',
      state: 'idle',
      progress: 1,
      version: 1,
      os: OLD_OS,
      osSlots: { booted: 'A', A: { state: 'good', version: OLD_OS }, B: { state: 'bad', version: BAD_OS } },
      osUpdate: { version: BAD_OS, outcome: 'rolled-back', reason: ROLLED_BACK_REASON, at: Date.now() },
    };
    const report = (): void => {
      for (const [car, fields] of Object.entries(reports)) void cars[car]!.send(carTopic(car, 'agent'), fields);
    };
    feeding = setInterval(report, 100);
    await waitFor(() => nuc.app.inject('/api/fleet').then((r) => r.json<{ cars: { car: string; osUpdate: unknown }[] }>().cars.filter((c) => c.osUpdate).length === 2), 'both cars on the server', 15_000);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    clearInterval(feeding);
    hints?.close();
    await browser?.close();
    await nuc?.app.close();
    await nucSubscriber?.close();
    await carHints?.close();
    await nucPublisher?.close();
    for (const car of Object.values(cars ?? {})) await car.close();
    await bus?.close();
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const textOf = async (page: Page, selector: string): Promise<string> => (await page.locator(selector).textContent()) ?? '';

  it('reboots a car into its installed OS when the operator presses the button, and shows it good on slot B', () =>
    onPage(browser, `${baseUrl}/fleet?token=${TOKEN}`, async (page) => {
      const said = recordPage(page);
      try {
        const car = '[data-car="5"]';
        await page.locator(`${car} .os-update`).waitFor({ timeout: 15_000 });
        await waitFor(async () => /installing/.test(await textOf(page, `${car} .os-update`)), 'the OS update installing', 15_000, 100);
        expect(await page.locator(`${car} button.os-reboot`).count()).toBe(0);
        expect(await textOf(page, `${car} .os-slot[data-slot="A"]`)).toBe(`A ▶ good · ${OLD_OS}`);

        // installed: the agent waits for the operator
        expect(await page.locator(`${car} .os-downloaded`).count()).toBe(0);
        // installed: the agent waits for the operator, and says how much it downloaded (a chunked bundle: the chunks slot A lacked)
        reports['5'] = {
          ...reports['5']!,
          state: 'os-pending-reboot',
          progress: 1,
          osSlots: { booted: 'A', A: { state: 'good', version: OLD_OS }, B: { state: 'good', version: NEW_OS } },
          osUpdate: { version: NEW_OS, outcome: 'pending-reboot', at: Date.now(), downloadedBytes: DOWNLOADED_BYTES },
        };
        const button = page.locator(`${car} button.os-reboot`);
        await button.waitFor({ timeout: 15_000 });
        expect(await button.textContent()).toContain(`Reboot into ${NEW_OS}`);
        expect(await textOf(page, `${car} .os-update`)).toMatch(/installed, waiting for a reboot/);
        const downloaded = page.locator(`${car} .os-update .os-downloaded`);
        expect(await downloaded.textContent()).toBe('downloaded 36.5 MB');
        expect(await downloaded.getAttribute('title')).toMatch(new RegExp(`^${DOWNLOADED_BYTES} bytes downloaded`));
        expect(received.some((hint) => hint.osReboot?.includes('5'))).toBe(false);
        await button.click();
        await waitFor(async () => /may reboot into OS 0\.2\.0-bbbb2222 now/.test(await textOf(page, `${car} .message`)), "the server's answer", 10_000, 100);

        // the car's side of the bus hears the hint naming it
        await waitFor(() => received.some((hint) => hint.osReboot?.includes('5')), 'the release hint naming car 5', 10_000, 50);
        expect(received.find((hint) => hint.osReboot)).toEqual({ v: 1, seq: expect.any(Number), ts: expect.any(Number), timestamp: 0, osReboot: ['5'] });

        // the agent reboots into slot B, passes its trial and marks it good
        reports['5'] = { ...reports['5']!, state: 'os-rebooting', osUpdate: { version: NEW_OS, outcome: 'rebooting', at: Date.now() } };
        await waitFor(async () => /rebooting/.test(await textOf(page, `${car} .os-update`)), 'the car rebooting', 10_000, 100);
        reports['5'] = {
          release: `car OS ${NEW_OS} v2`,
          slot: 'A',
          state: 'idle',
          progress: 1,
          version: 2,
          os: NEW_OS,
          osSlots: { booted: 'B', A: { state: 'good', version: OLD_OS }, B: { state: 'good', version: NEW_OS } },
          osUpdate: { version: NEW_OS, outcome: 'good', at: Date.now() },
        };
        await waitFor(async () => /\bgood\b/.test(await textOf(page, `${car} .os-outcome`)), 'the OS update good', 10_000, 100);
        expect(await textOf(page, `${car} .os-slot.booted`)).toBe(`B ▶ good · ${NEW_OS}`);
        expect(await textOf(page, `${car} .os-slots`)).toContain('booted from B');
        expect(await textOf(page, `${car} .os`)).toBe(`OS ${NEW_OS}`);
        expect(await page.locator(`${car} button.os-reboot`).count()).toBe(0);
        await waitFor(async () => /release 2/.test(await textOf(page, `${car} .release`)), 'car 5 on release 2', 10_000, 100);
        // the operator's permission is used up: the next hint names no car
        hints.published(1);
        await waitFor(() => received.some((hint) => hint.timestamp === 1), 'the next hint', 10_000, 50);
        expect(received.find((hint) => hint.timestamp === 1)?.osReboot).toBeUndefined();
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${said.lines().join('\n')}`, { cause: error });
      }
    }));

  it('shows a car whose OS update rolled back, with the reason, and its release withdrawn', () =>
    onPage(browser, `${baseUrl}/fleet`, async (page) => {
      const car = '[data-car="6"]';
      const update = page.locator(`${car} .os-update.os-failed`);
      await update.waitFor({ timeout: 15_000 });
      expect(await update.locator('.os-outcome').textContent()).toBe('⚠ rolled back');
      expect(await update.locator('.os-reason').textContent()).toBe(ROLLED_BACK_REASON);
      expect(await textOf(page, `${car} .os-slot[data-slot="B"]`)).toBe(`B bad · ${BAD_OS}`);
      // the failure is red on the page
      expect(await update.evaluate((element) => getComputedStyle(element).borderLeftColor)).toBe('rgb(255, 90, 90)');
      expect(await page.locator(`${car} button.os-reboot`).count()).toBe(0);
      // its release failed like a service rollback: in the car's history and withdrawn in the releases
      const newest = page.locator(`${car} .history tbody tr`).first();
      await newest.waitFor({ timeout: 10_000 });
      expect(await newest.textContent()).toMatch(/1\s*3 \(withdrawn\)\s*rolled-back\s*OS 0\.3\.0-cccc3333: booted slot A/);
      await waitFor(async () => /withdrawn: rolled back on car 6: OS 0\.3\.0-cccc3333/.test(await textOf(page, '.releases')), 'release 3 withdrawn', 10_000, 100);
    }));
});
