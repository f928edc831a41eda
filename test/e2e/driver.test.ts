/**
 * The driver's screen end to end, as a driver uses it: `npm start`, open /drive/1 in Debian's
 * chromium, see live video, hold the right arrow and watch the simulated car steer in its telemetry.
 * Skipped only where /usr/bin/chromium is not installed (`.ci/run` installs it).
 */
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, startDashboardPlatform } from '../support/browser.ts';
import { sleep, waitFor } from '../support/net.ts';
import { getJson, type RunningPlatform } from '../support/platform.ts';

const TOKEN = 'e2e-driver-token';

interface CarInfo {
  id: string;
  frames: number;
  views: number;
  telemetry?: { angle: number };
}

describe.skipIf(!hasChromium)('driver screen (chromium)', () => {
  let running: RunningPlatform | undefined;
  afterEach(async () => {
    if (running && running.launcher.exitCode === null) await running.stop();
  });

  it('shows moving video and steers the simulated car with the arrow keys', { timeout: 360_000 }, async () => {
    const platform = await startDashboardPlatform(TOKEN, (started) => (running = started));
    let browser: Browser | undefined;
    try {
      const carUrl = `${platform.baseUrl}/api/cars`;
      await waitFor(
        async () => {
          const cars = await getJson<CarInfo[]>(carUrl).catch(() => []);
          const car = cars.find((c) => c.id === '1');
          return car && car.frames + car.views > 0 && car.telemetry !== undefined;
        },
        'car 1 to send video and telemetry',
        120_000,
        250,
      );

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`${platform.baseUrl}/drive/1?token=${TOKEN}`);
      const video = page.locator('canvas[data-test="video"]');
      await video.waitFor({ state: 'visible', timeout: 15_000 });
      // The link readout counts frames received in the last second: wait until video really flows.
      await waitFor(async () => /[1-9]\d* fps/.test((await page.locator('[data-test="link"]').textContent()) ?? ''), 'video frames', 60_000, 200);

      const first = await video.screenshot();
      await sleep(1000);
      const second = await video.screenshot();
      expect(first.equals(second)).toBe(false);

      // The driver steers only in 'user' mode; switching needs the token, as the page's own driving does.
      const modeChange = await fetch(`${platform.baseUrl}/api/cars/1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'user' }),
      });
      expect(modeChange.status).toBe(202);
      await page.locator('canvas[data-test="video"]').click();
      await page.keyboard.down('ArrowRight');
      try {
        const angle = await waitFor(
          async () => {
            const car = (await getJson<CarInfo[]>(carUrl)).find((c) => c.id === '1');
            const value = car?.telemetry?.angle ?? 0;
            return value > 0.2 ? value : undefined;
          },
          'car 1 to steer right in its telemetry',
          30_000,
          100,
        );
        expect(angle).toBeGreaterThan(0.2);
      } finally {
        await page.keyboard.up('ArrowRight');
      }
    } finally {
      await browser?.close();
      await platform.stop();
    }
  });
});
