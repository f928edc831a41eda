/**
 * `timing` (this file: the overlay's part; the timing service's latency and jitter figures are the
 * timing gate's own bench under the same name, so `npm run bench -- timing` runs both):
 *
 * - `timing_overlay_update_ms`: a line crossing published on the NUC bus (`nuc/timing/crossing`, by a
 *   client holding a NUC `timing` key, as the timing service does) → the overlay page in Chromium has
 *   redrawn the car's new lap count (the first animation frame after the DOM changed), median of
 *   60 crossings; `timing_overlay_update_p95_ms` is their 95th percentile. The NUC's proxy and server
 *   run as their own processes, the race is between two registered (non-simulated) cars.
 */
import { percentile } from '../../protocol/index.ts';
import { ensureDashboardBuilt, launchChromium } from '../support/browser.ts';
import { sleep, waitFor } from '../support/net.ts';
import { startPlatformProcesses } from '../support/processes.ts';
import { openTimingGate } from '../support/timing-gate.ts';
import type { Benchmark, Metric } from './types.ts';

const TOKEN = 'overlay-benchmark-token';
const CROSSINGS = 60;
/** between two crossings (of alternating cars): each car's laps are twice this, above the minimum lap */
const SPACING_MS = 400;

const bench: Benchmark = {
  name: 'timing',
  description: 'crossing on the bus → the overlay redrawn in Chromium, 60 crossings',
  async run(): Promise<Metric[]> {
    ensureDashboardBuilt();
    const platform = await startPlatformProcesses({ config: { nuc: { race: { lightMs: 100, minLapMs: 500 } } }, env: { EDGE_TOKEN: TOKEN } });
    const base = `http://127.0.0.1:${platform.env.EDGE_HTTP_PORT}`;
    const api = (method: string, route: string, body?: unknown) =>
      fetch(`${base}${route}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (r) => {
        if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${await r.text()}`);
        return r;
      });
    const browser = await launchChromium();
    try {
      await platform.startService('nuc', 'proxy');
      await platform.startService('nuc', 'server');
      const gate = await openTimingGate(platform.nucAs({ name: 'timing', role: 'nuc', service: 'timing' }), base);
      await api('PUT', '/api/racers/a', { name: 'Ada', colour: '#e63946' });
      await api('PUT', '/api/racers/b', { name: 'Bo', colour: '#2a9d8f' });
      await api('POST', '/api/race', { cars: ['a', 'b'], laps: 50 });
      await api('POST', '/api/race/start');
      const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      await page.goto(`${base}/overlay`);
      await page.locator('[data-test="overlay-standings"] li').nth(1).waitFor({ timeout: 30_000 });
      await waitFor(async () => (await page.locator('[data-test="overlay"]').getAttribute('data-phase')) === 'racing', 'the race under way on the overlay', 30_000, 50);
      // Each change of a car's lap count in the overlay, stamped at the first frame drawn after it.
      await page.evaluate(() => {
        const w = window as unknown as { redraws: Array<{ car: string; laps: number; at: number }> };
        w.redraws = [];
        const list = document.querySelector('[data-test="overlay-standings"]')!;
        new MutationObserver((mutations) => {
          for (const m of mutations) {
            const li = (m.target as Element).closest?.('li[data-car]');
            if (!li) continue;
            const car = li.getAttribute('data-car')!;
            const laps = Number(li.getAttribute('data-laps'));
            requestAnimationFrame(() => w.redraws.push({ car, laps, at: Date.now() }));
          }
        }).observe(list, { attributes: true, attributeFilter: ['data-laps'], subtree: true, childList: true });
      });
      const latencies: number[] = [];
      const laps = { a: 0, b: 0 };
      for (let i = 0; i < CROSSINGS; i++) {
        await sleep(SPACING_MS);
        const car = i % 2 === 0 ? 'a' : 'b';
        laps[car]++;
        const sentAt = Date.now();
        await gate.cross({ car, source: 'sim', atMs: sentAt });
        const drawnAt = await waitFor(
          async () =>
            page.evaluate(
              ([c, n]) => (window as unknown as { redraws: Array<{ car: string; laps: number; at: number }> }).redraws.find((r) => r.car === c && r.laps === n)?.at,
              [car, laps[car]] as const,
            ),
          `car ${car}'s lap ${laps[car]} on the overlay`,
          10_000,
          5,
        );
        if (drawnAt < sentAt) throw new Error(`car ${car}'s lap ${laps[car]} was on the overlay before its crossing was sent: the laps are out of step`);
        latencies.push(drawnAt - sentAt);
      }
      await gate.close();
      latencies.sort((x, y) => x - y);
      return [
        { bench: 'timing', metric: 'timing_overlay_update_ms', value: Math.round(percentile(latencies, 50)), unit: 'ms' },
        { bench: 'timing', metric: 'timing_overlay_update_p95_ms', value: Math.round(percentile(latencies, 95)), unit: 'ms' },
      ];
    } finally {
      await browser.close();
      await platform.stop();
    }
  },
};

export default bench;
