/**
 * The ML engineer's tools in Debian's chromium, against the real server and a real training queue
 * (worker processes, tfjs): the tub editor on a 20,000-record tub (paged, deletes and restores a
 * range as Donkeycar's deleted_indexes, which training then skips), and the pilot arena racing two
 * saved models on one track with one seed and replaying a tub.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelMetadata, saveModel } from '../../model/index.ts';
import { buildNucServer, FleetState, type NucServer } from '../../nuc/server/index.ts';
import { JobStore, TrainingQueue, workerRunner, type ArenaJob } from '../../nuc/training/index.ts';
import { validateConfig } from '../../runtime/index.ts';
import { createModel, selectTrainingBackend } from '../../trainer/index.ts';
import { readTub, trainingRecords } from '../../tub/index.ts';
import { ensureDashboardBuilt, hasChromium, launchChromium, onPage } from '../support/browser.ts';
import { FakeFeed, silentLog } from '../support/server-feed.ts';
import { waitFor } from '../support/net.ts';
import { writeLongTub, writeTestTub } from '../support/tubs.ts';

const TOKEN = 'tools-token';

describe.skipIf(!hasChromium)('training tools (chromium)', () => {
  let dir: string;
  let store: JobStore;
  let queue: TrainingQueue;
  let nuc: NucServer;
  let baseUrl: string;
  let browser: Browser;
  const tubsDir = () => path.join(dir, 'tubs');
  const modelsDir = () => path.join(dir, 'models');

  beforeAll(async () => {
    ensureDashboardBuilt();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-tools-'));
    await writeLongTub(path.join(tubsDir(), 'long'), 20_000);
    await writeTestTub(path.join(tubsDir(), 'laps'), 40);
    // two untrained models of two kinds, as the CLI or a copy would leave them
    await selectTrainingBackend('wasm', () => {});
    for (const [name, kind, seed] of [['fast-a', 'fast', 1], ['categorical-b', 'categorical', 2]] as const) {
      const model = createModel(kind, { seed });
      await saveModel(path.join(modelsDir(), name), model, modelMetadata({ kind, backend: 'wasm' }));
      model.dispose();
    }
    store = JobStore.open(path.join(dir, 'training.sqlite'));
    const training = { ...validateConfig({}, 'the defaults').nuc.training, autoTrain: false, evalSecondsPerLap: 4, pollMs: 100 };
    queue = new TrainingQueue({ store, tubsDir: tubsDir(), modelsDir: modelsDir(), config: training, runner: workerRunner({ nice: 0 }), log: silentLog });
    queue.start();
    nuc = await buildNucServer({
      fleet: new FleetState(),
      log: silentLog,
      metricsIntervalMs: 1000,
      busConnected: () => true,
      token: TOKEN,
      feed: new FakeFeed(),
      training: { store, tubsDir: tubsDir(), modelsDir: modelsDir(), defaultKind: 'fast', evalTracks: training.evalTracks, pushIntervalMs: 100 },
    });
    await nuc.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(nuc.app.server.address() as { port: number }).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await queue?.stop();
    await nuc?.app.close();
    store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = (route: string, check: (page: Page) => Promise<void>) => onPage(browser, `${baseUrl}${route}`, check, { width: 1280, height: 900 });

  it("the tub editor pages a 20,000-record tub, deletes a range as Donkeycar's deleted_indexes that training skips, and restores it", () =>
    open(`/training/tubs/long?token=${TOKEN}`, async (page) => {
      const answers: { url: string; bytes: number }[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/api/tubs/long')) void response.body().then((body) => answers.push({ url: response.url(), bytes: body.length }), () => {});
      });
      await page.locator('.counts .total').filter({ hasText: '20000 records' }).waitFor({ timeout: 30_000 });
      await page.locator('[data-thumb]').nth(8).waitFor();
      expect(await page.locator('[data-thumb]').count()).toBe(9);
      expect(await page.locator('.facts .index').textContent()).toBe('0');
      // scrubbing to the far end loads that page, not the tub
      await page.locator('.scrub').fill('19995');
      await waitFor(async () => (await page.locator('.facts .index').textContent()) === '19995', 'record 19995 on screen', 15_000, 50);
      expect(await page.locator('.picture img').getAttribute('src')).toBe('/api/tubs/long/records/19995/image');
      const plotPoints = (await page.locator('polyline[data-series="angle"]').getAttribute('points'))!.split(' ');
      // the whole tub in at most 600 buckets of 34 records
      expect(plotPoints).toHaveLength(Math.ceil(20_000 / Math.ceil(20_000 / 600)));
      // nothing fetched the whole tub: pages of at most 500 records, a plot of at most 2,000 buckets
      for (const { url } of answers) {
        const query = new URL(url).searchParams;
        if (url.includes('/records?')) expect(Number(query.get('limit'))).toBeLessThanOrEqual(500);
        if (url.includes('/plot?')) expect(Number(query.get('buckets'))).toBeLessThanOrEqual(2000);
      }
      expect(Math.max(...answers.filter((a) => !a.url.includes('/image')).map((a) => a.bytes))).toBeLessThan(250_000);

      await page.locator('input[name="range-from"]').fill('100');
      await page.locator('input[name="range-to"]').fill('199');
      await page.locator('input[name="range-to"]').press('Tab');
      await page.locator('[data-action="delete"]').click();
      await page.locator('.message').filter({ hasText: 'Deleted records 100–199: 100 of them deleted now' }).waitFor({ timeout: 15_000 });
      const tub = await readTub(path.join(tubsDir(), 'long'), { checkImages: false });
      expect(tub.manifest.catalog.deleted_indexes).toEqual([...Array(100).keys()].map((i) => 100 + i));
      const training = await trainingRecords([path.join(tubsDir(), 'long')]);
      expect(training.records).toHaveLength(19_900);
      expect(training.records.some((r) => r.index >= 100 && r.index <= 199)).toBe(false);
      await page.locator('.counts .kept').filter({ hasText: '19900 kept for training' }).waitFor();
      expect(await page.locator('.counts .deleted').textContent()).toBe('100 deleted');
      // the deleted stretch shows on the plot, and a deleted record says so
      expect(await page.locator('rect.deleted-bar').count()).toBeGreaterThan(0);
      await page.locator('.scrub').fill('150');
      await waitFor(async () => (await page.locator('.facts .index').textContent()) === '150', 'record 150 on screen', 15_000, 50);
      expect(await page.locator('.picture .stamp').textContent()).toBe('deleted');

      await page.locator('[data-action="restore"]').click();
      await page.locator('.message').filter({ hasText: 'Restored records 100–199: 0 of them deleted now, 0 in the tub' }).waitFor({ timeout: 15_000 });
      expect((await readTub(path.join(tubsDir(), 'long'), { checkImages: false })).manifest.catalog.deleted_indexes).toEqual([]);
      await page.locator('.counts .kept').filter({ hasText: '20000 kept for training' }).waitFor();
      expect(await page.locator('.picture .stamp').count()).toBe(0);
    }));

  it('the arena races two models on one track with one seed, side by side, and replays a tub with both models against the driver', { timeout: 180_000 }, () =>
    open(`/training?token=${TOKEN}`, async (page) => {
      await page.locator('select[name="arena-a"] option').nth(1).waitFor({ state: 'attached', timeout: 30_000 });
      await page.locator('select[name="arena-a"]').selectOption('fast-a');
      await page.locator('select[name="arena-b"]').selectOption('categorical-b');
      await page.locator('select[name="arena-track"]').selectOption('default');
      await page.locator('input[name="arena-laps"]').fill('1');
      await page.locator('input[name="arena-seed"]').fill('7');
      await page.locator('select[name="arena-tub"]').selectOption('laps');
      await page.locator('.race button[type="submit"]').click();
      // a real worker loads both models and drives them in the simulator
      await page.locator('[data-arena-entry]').nth(1).waitFor({ timeout: 150_000 });
      const job = store.list().find((j): j is ArenaJob => j.action === 'arena')!;
      expect(job).toMatchObject({ state: 'succeeded', arena: { models: ['fast-a', 'categorical-b'], track: 'default', laps: 1, seed: 7, tub: 'laps', from: 0 } });
      const result = job.result!;
      for (const [i, name] of ['fast-a', 'categorical-b'].entries()) {
        const row = page.locator(`[data-arena-entry="${name}"]`);
        const entry = result.entries[i]!;
        expect(entry.model).toBe(name);
        expect(await row.locator('.clean').textContent()).toBe(`${entry.run.lapsCompleted}/1`);
        expect(await row.locator('.off-track').textContent()).toBe(String(entry.run.offTrackEvents));
        expect(await row.locator('.cte').textContent()).toBe(`${entry.run.meanAbsCteM.toFixed(3)} m`);
        expect(entry.cteTrace.length).toBeGreaterThan(2);
      }
      expect(result.entries.map((e) => e.kind)).toEqual(['fast', 'categorical']);
      // the cross-track error of both, and the replay: the driver and each model over the same 40 frames
      expect(await page.locator('.cte-chart polyline').count()).toBe(2);
      expect(result.replay).toMatchObject({ tub: 'laps', indexes: [...Array(40).keys()] });
      expect(result.replay!.predicted.map((p) => p.length)).toEqual([40, 40]);
      const series = page.locator('.replay polyline');
      expect(await series.count()).toBe(3);
      expect((await page.locator('.replay polyline[data-series="driver"]').getAttribute('points'))!.split(' ')).toHaveLength(40);
    }));
});
