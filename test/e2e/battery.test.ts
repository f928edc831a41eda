/**
 * The battery gauge and the recording helpers on the driver's screen, end to end in Debian's chromium:
 * `npm start` with the simulated car's emulated INA219 (the actuator's real driver reads it over the
 * sim's I2C socket), the voltage and current on /drive/1, the low-battery warning when the throttle
 * makes the pack sag below `car.battery.lowVolts`, and "erase the last 5 s" of a recording from the
 * screen, checked in the tub's manifest on disk. Skipped only where /usr/bin/chromium is not installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, startDashboardPlatform } from '../support/browser.ts';
import { waitFor } from '../support/net.ts';
import { getJson, type RunningPlatform } from '../support/platform.ts';

const TOKEN = 'e2e-battery-token';

/**
 * The car starts in user mode, standing: a full 2S pack rests at 8.4 V and the idle 0.45 A sags it by
 * 0.03 V. Half throttle (the keyboard's most) draws 1.65 A and sags it by 0.1 V, below 8.33 V.
 */
const CONFIG = { car: { drive: { mode: 'user' }, battery: { lowVolts: 8.33, hysteresisVolts: 0.01 } } };

interface CarInfo {
  id: string;
  frames: number;
  views: number;
  telemetry?: { battery?: { volts: number; amps: number; low: boolean } };
}

describe.skipIf(!hasChromium)('battery gauge and recording helpers on the driver screen (chromium)', () => {
  let running: RunningPlatform | undefined;
  let configDir: string | undefined;
  afterEach(async () => {
    if (running && running.launcher.exitCode === null) await running.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('shows volts and amps, warns of a low battery under throttle, and erases the last 5 s of a recording', { timeout: 420_000 }, async () => {
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-battery-e2e-'));
    const configFile = path.join(configDir, 'edge.json');
    fs.writeFileSync(configFile, JSON.stringify(CONFIG));
    const platform = await startDashboardPlatform(TOKEN, (started) => (running = started), { EDGE_CONFIG: configFile });
    let browser: Browser | undefined;
    try {
      const carUrl = `${platform.baseUrl}/api/cars`;
      const atRest = await waitFor(
        async () => {
          const cars = await getJson<CarInfo[]>(carUrl).catch(() => []);
          const car = cars.find((c) => c.id === '1');
          return car && car.frames + car.views > 0 && car.telemetry?.battery ? car.telemetry.battery : undefined;
        },
        'car 1 to report video and its battery',
        150_000,
        250,
      );
      // what the actuator's INA219 driver read from the simulator's emulated chip: a full pack at rest
      expect(atRest.volts).toBeGreaterThan(8.33);
      expect(atRest.volts).toBeLessThan(8.4);
      expect(atRest.amps).toBeCloseTo(0.45, 2);
      expect(atRest.low).toBe(false);

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`${platform.baseUrl}/drive/1?token=${TOKEN}`);
      const gauge = page.locator('[data-test="battery"]');
      await waitFor(async () => /8\.3\d V/.test((await gauge.locator('[data-test="battery-volts"]').textContent()) ?? ''), 'the battery voltage on the screen', 60_000, 200);
      expect(await gauge.locator('[data-test="battery-amps"]').textContent()).toMatch(/0\.4\d A/);
      expect(await page.locator('[data-test="battery-low"]').count()).toBe(0);

      // Throttle: the pack sags under the motor's current and the warning comes up.
      await page.locator('canvas[data-test="video"]').click();
      await page.keyboard.down('ArrowUp');
      try {
        await page.locator('[data-test="battery-low"]').waitFor({ state: 'visible', timeout: 60_000 });
        expect(await page.locator('[data-test="battery-low"]').textContent()).toContain('LOW BATTERY');
        const amps = Number.parseFloat((await gauge.locator('[data-test="battery-amps"]').textContent()) ?? '');
        expect(amps).toBeGreaterThan(1);
        const underLoad = (await getJson<CarInfo[]>(carUrl)).find((c) => c.id === '1')?.telemetry?.battery;
        expect(underLoad?.low).toBe(true);
      } finally {
        await page.keyboard.up('ArrowUp');
      }

      // Record, then erase the last 5 s from the screen: the records go into the tub's deleted_indexes.
      // A frame is recorded with the driver's control in effect: drive (the keys send it 20 times a second).
      await page.getByRole('button', { name: 'Record' }).click();
      const records = page.locator('[data-test="recording-records"]');
      await page.locator('canvas[data-test="video"]').click();
      await page.keyboard.down('ArrowUp');
      try {
        // more than 5 s of recording at any camera rate up to 30 fps, so the erase leaves records before it
        // (30 records were all recorded within 5 s on an idle machine: all erased)
        await waitFor(async () => Number.parseInt((await records.textContent({ timeout: 500 }).catch(() => '')) ?? '', 10) >= 200, '200 records', 120_000, 250);
      } finally {
        await page.keyboard.up('ArrowUp');
      }
      await page.getByRole('button', { name: 'Stop rec' }).click();
      await page.locator('[data-test="erase"]').click();
      const erasedText = await waitFor(async () => {
        const text = await page.locator('[data-test="recording-erased"]').textContent({ timeout: 500 }).catch(() => undefined);
        return text && /\d+ erased/.test(text) ? text : undefined;
      }, 'the erase on the screen', 30_000, 200);
      const erased = Number.parseInt(erasedText, 10);
      expect(erased).toBeGreaterThan(0);

      const tubsDir = path.join(platform.dataDir, 'tubs');
      const [tub] = fs.readdirSync(tubsDir).filter((name) => name.endsWith('_car1'));
      const lines = fs.readFileSync(path.join(tubsDir, tub!, 'manifest.json'), 'utf8').trim().split('\n');
      const catalog = JSON.parse(lines[4]!) as { current_index: number; deleted_indexes: number[] };
      expect(catalog.deleted_indexes).toHaveLength(erased);
      // the last records, contiguous up to the newest
      expect(catalog.deleted_indexes.at(-1)).toBe(catalog.current_index - 1);
      expect(catalog.deleted_indexes[0]).toBe(catalog.current_index - erased);
      // about 5 s of a camera's frames (the recorder keeps what it could write at the frame rate it got)
      expect(erased).toBeLessThan(catalog.current_index);
    } finally {
      await browser?.close();
      await platform.stop();
    }
  });
});
