/**
 * Calibrating a car end to end, as an operator does it: `npm start`, open /calibrate/1 with the token
 * in Debian's chromium, enter the calibration state, move the steering and throttle and watch the
 * simulated car's emulated PCA9685 follow (the simulator reports what its channels hold), see the
 * throttle held at the actuator's cap and kept there while the page stays open, save new counts, and
 * find them in the car's calibration.json and in force at the actuator.
 * Skipped only where /usr/bin/chromium is not installed (`.ci/run` installs it).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { CalibrationReply } from '../../nuc/server/wire.ts';
import { hasChromium, launchChromium, startDashboardPlatform } from '../support/browser.ts';
import { sleep, waitFor } from '../support/net.ts';
import { getJson, waitForServices, type RunningPlatform } from '../support/platform.ts';

const TOKEN = 'e2e-calibration-token';
/** the configured counts (runtime/config-schema.ts defaults) and calibration throttle cap */
const CONFIGURED = { leftCount: 460, rightCount: 290, forwardCount: 500, stoppedCount: 370, reverseCount: 220, cap: 80 };

interface ServiceGauges {
  scope: string;
  id: string;
  service: string;
  metrics: { gauges?: Record<string, number> };
}

async function chip(baseUrl: string): Promise<{ steering: number; throttle: number } | undefined> {
  const services = await getJson<ServiceGauges[]>(`${baseUrl}/api/services`).catch(() => []);
  const gauges = services.find((s) => s.scope === 'car' && s.id === '1' && s.service === 'sim')?.metrics.gauges;
  if (gauges?.sim_steering_count === undefined || gauges.sim_throttle_count === undefined) return undefined;
  return { steering: gauges.sim_steering_count, throttle: gauges.sim_throttle_count };
}

function chipHolds(baseUrl: string, want: { steering?: number; throttle?: number }, what: string) {
  return waitFor(
    async () => {
      const now = await chip(baseUrl);
      if (!now) return undefined;
      const ok = (want.steering === undefined || now.steering === want.steering) && (want.throttle === undefined || now.throttle === want.throttle);
      return ok ? now : undefined;
    },
    what,
    30_000,
    100,
  );
}

async function typeCount(page: Page, field: string, value: number): Promise<void> {
  await page.locator(`[data-test="${field}"]`).fill(String(value));
}

describe.skipIf(!hasChromium)('calibration page (chromium)', () => {
  let running: RunningPlatform | undefined;
  afterEach(async () => {
    if (running && running.launcher.exitCode === null) await running.stop();
  });

  it('moves the emulated chip live, caps the throttle, and saves counts the actuator then drives with', { timeout: 360_000 }, async () => {
    const platform = await startDashboardPlatform(TOKEN, (started) => (running = started));
    let browser: Browser | undefined;
    try {
      await waitForServices(platform.baseUrl, ['nuc/server', 'car/1/actuator', 'car/1/sim'], 150_000);
      await waitFor(() => getJson<CalibrationReply>(`${platform.baseUrl}/api/cars/1/calibration`).catch(() => undefined), 'the actuator counts', 60_000, 200);

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${platform.baseUrl}/calibrate/1?token=${TOKEN}`);
      const enter = page.locator('[data-test="enter"]');
      await enter.waitFor({ state: 'visible', timeout: 15_000 });
      await waitFor(async () => enter.isEnabled(), 'the page to hear the actuator', 30_000, 100);
      await enter.click();
      await waitFor(async () => (await page.locator('[data-test="calibrating"]').textContent()) === 'Calibrating', 'the calibration state', 30_000, 100);

      // Steering to a chosen count: the chip's steering channel holds it, and the page shows it.
      await typeCount(page, 'steering', 330);
      await chipHolds(platform.baseUrl, { steering: 330 }, 'the emulated chip to hold steering 330');
      await waitFor(async () => (await page.locator('[data-test="steering-count"]').textContent()) === '330', 'the page to show steering 330', 30_000, 100);

      // The throttle asked beyond the cap is held at stopped + cap, and stays there while the page is open
      // (the actuator brings it back to stopped after 1 s without the page's counts).
      await typeCount(page, 'throttle', CONFIGURED.stoppedCount + CONFIGURED.cap + 200);
      const capped = CONFIGURED.stoppedCount + CONFIGURED.cap;
      await chipHolds(platform.baseUrl, { throttle: capped }, `the emulated chip to hold throttle ${capped}`);
      await sleep(2500);
      expect(await chip(platform.baseUrl)).toEqual({ steering: 330, throttle: capped });

      // New end points, taken from the live steering and typed, saved on the car.
      await page.locator('[data-test="use-left"]').click();
      await typeCount(page, 'steering', 480);
      await chipHolds(platform.baseUrl, { steering: 480 }, 'the emulated chip to hold steering 480');
      await page.locator('[data-test="use-right"]').click();
      const saved = { leftCount: 330, rightCount: 480, forwardCount: 440, stoppedCount: 380, reverseCount: 300 };
      await typeCount(page, 'save-forward', saved.forwardCount);
      await typeCount(page, 'save-stopped', saved.stoppedCount);
      await typeCount(page, 'save-reverse', saved.reverseCount);
      await page.locator('[data-test="save"]').click();
      await waitFor(async () => ((await page.locator('[data-test="notice"]').textContent()) ?? '').includes('Saved on the car'), 'the save to be confirmed', 30_000, 100);

      const file = path.join(platform.dataDir, 'car', '1', 'calibration.json');
      const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      expect(written).toMatchObject({
        steering: { leftCount: saved.leftCount, rightCount: saved.rightCount },
        throttle: { forwardCount: saved.forwardCount, stoppedCount: saved.stoppedCount, reverseCount: saved.reverseCount },
      });
      const reply = await getJson<CalibrationReply>(`${platform.baseUrl}/api/cars/1/calibration`);
      expect(reply.saved).toEqual({
        steering: { leftCount: saved.leftCount, rightCount: saved.rightCount },
        throttle: { forwardCount: saved.forwardCount, stoppedCount: saved.stoppedCount, reverseCount: saved.reverseCount },
      });
      expect(await page.locator('[data-test="saved"]').textContent()).toContain('left 330, right 480, forward 440, stopped 380, reverse 300');

      // Out of calibration, the actuator drives with the saved counts: estop holds the throttle at the new stopped.
      await page.locator('[data-test="exit"]').click();
      await waitFor(async () => (await page.locator('[data-test="calibrating"]').textContent()) === 'Not calibrating', 'the calibration state to end', 30_000, 100);
      const estop = await fetch(`${platform.baseUrl}/api/cars/1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ estop: true }),
      });
      expect(estop.status).toBe(202);
      await chipHolds(platform.baseUrl, { throttle: saved.stoppedCount }, `the emulated chip to hold the saved stopped count ${saved.stoppedCount}`);
    } finally {
      await browser?.close();
      await platform.stop();
    }
  });
});
