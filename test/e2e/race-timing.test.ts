/**
 * Race day on crossings, as an organiser runs it: `npm start` with two simulated cars, the lap times
 * coming only from line crossings on the bus (published here with a NUC `timing` key, as the timing
 * service publishes its gate's; the simulator's own lap count is not read). In Chromium, on the
 * timekeeper page: racers registered, a time trial run car by car, a double-elimination bracket
 * seeded from it and run to its results page; then a real-style race whose crossings come from the
 * gate alone (no car on them): assigned by the timekeeper, a false one struck, a missed one added, a
 * red flag, a lap in the future refused; the overlay following it live on a transparent page, and
 * the printable results and CSV with every lap and every correction.
 * Set RACE_SCREENSHOTS=<dir> to keep screenshots of the overlay and the results pages.
 * Skipped only where /usr/bin/chromium is not installed (`.ci/run` installs it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompetitionsReply, CompetitionView, RaceReply, RaceView } from '../../nuc/server/wire.ts';
import { ensureDashboardBuilt, hasChromium, launchChromium } from '../support/browser.ts';
import { sleep, waitFor } from '../support/net.ts';
import { getJson, startPlatform, waitForServices, type RunningPlatform } from '../support/platform.ts';
import { openTimingGate, type TimingGate } from '../support/timing-gate.ts';

const TOKEN = 'race-timing-token-long-enough';
const SHOTS = process.env.RACE_SCREENSHOTS;

describe.skipIf(!hasChromium)('race day on crossings (whole platform, two simulated cars, chromium)', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let timekeeper: Page;
  let gate: TimingGate;
  let configDir: string;
  const race = async (): Promise<RaceView | null> => (await getJson<RaceReply>(`${platform.baseUrl}/api/race`)).race;
  const refused = async () => (await getJson<RaceReply>(`${platform.baseUrl}/api/race`)).refused;
  const competition = async (name: string): Promise<CompetitionView> =>
    (await getJson<CompetitionsReply>(`${platform.baseUrl}/api/competitions`)).competitions.find((c) => c.config.name === name)!;
  const racePhase = (phase: string) => waitFor(async () => ((await race())?.phase === phase ? race() : undefined), `the session ${phase}`, 60_000, 100);
  const shot = async (page: Page, name: string, options: { omitBackground?: boolean } = {}) => {
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: !options.omitBackground, ...options });
  };
  /** Sets an input the way a person does (colour pickers and all), so Vue's v-model hears it. */
  const setValue = (page: Page, selector: string, value: string) =>
    page.locator(selector).evaluate((el, v) => {
      (el as HTMLInputElement).value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  /** Puts the competition's next session on the grid from the timekeeper page, and starts it once the cars stand there. */
  const runNext = async (id: number, car?: string): Promise<RaceView> => {
    const entry = timekeeper.locator(`[data-competition="${id}"]`);
    if (car) await entry.locator('[data-test="trial-car"]').selectOption(car);
    await entry.locator('[data-test="next"]').click();
    await waitFor(async () => {
      const now = await race();
      return now?.phase === 'grid' && now.waitingFor.length === 0;
    }, 'the cars on the grid', 60_000, 100);
    await timekeeper.locator('[data-test="start"]').click();
    return racePhase('racing') as Promise<RaceView>;
  };
  const close = async () => {
    await timekeeper.locator('[data-test="close"]').click();
    await waitFor(async () => (await race()) === null, 'the session closed', 10_000, 100);
  };

  beforeAll(async () => {
    ensureDashboardBuilt();
    if (SHOTS) fs.mkdirSync(SHOTS, { recursive: true });
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'race-timing-'));
    const config = path.join(configDir, 'edge.json');
    // The laps come from this test's gate alone: the timing service publishes no simulator crossings
    // (with them, an idle machine's simulated car crossed the line inside a 15 s trial: a fourth lap).
    // Jump starts are flagged but cost nothing here: on a loaded machine a simulated car can creep
    // under the lights, and the order these tests follow is the crossings' (penalties: race.test.ts).
    fs.writeFileSync(config, JSON.stringify({ launcher: { cars: ['1', '2'] }, nuc: { timing: { sim: false }, race: { lightMs: 100, minLapMs: 1000, penalties: { jumpStart: 0 } } } }));
    platform = await startPlatform(['--config', config], { EDGE_TOKEN: TOKEN });
    await waitForServices(platform.baseUrl, ['nuc/server', 'car/1/uplink', 'car/2/uplink'], 180_000);
    await waitFor(
      async () => {
        const cars = await getJson<Array<{ id: string; telemetry?: { sim?: unknown } }>>(`${platform.baseUrl}/api/cars`);
        return ['1', '2'].every((id) => cars.find((c) => c.id === id)?.telemetry?.sim);
      },
      'both cars on the track',
      120_000,
      250,
    );
    gate = await openTimingGate(platform.nucAs({ name: 'timing', role: 'nuc', service: 'timing' }), platform.baseUrl);
    browser = await launchChromium();
    timekeeper = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await timekeeper.goto(`${platform.baseUrl}/timekeeper?token=${TOKEN}`);
    await timekeeper.locator('[data-test="timekeeper-name"]').fill('Tess');
  }, 300_000);

  afterAll(async () => {
    await gate?.close();
    await browser?.close();
    await platform?.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('registers the racers on the timekeeper page: name, car, colour', async () => {
    for (const [car, name, colour] of [
      ['1', 'Ada', '#e63946'],
      ['2', 'Bo', '#2a9d8f'],
    ] as const) {
      await timekeeper.locator('[data-test="racer-name"]').fill(name);
      await timekeeper.locator('[data-test="racer-car"]').fill(car);
      await setValue(timekeeper, '[data-test="racer-colour"]', colour);
      await timekeeper.locator('[data-test="register"] button[type="submit"]').click();
      await timekeeper.locator(`[data-racer="${car}"]`).waitFor({ timeout: 10_000 });
    }
    expect((await getJson<{ racers: unknown[] }>(`${platform.baseUrl}/api/racers`)).racers).toEqual([
      { car: '1', name: 'Ada', colour: '#e63946' },
      { car: '2', name: 'Bo', colour: '#2a9d8f' },
    ]);
  });

  it('runs a time trial car by car on the gate\'s crossings (no car on them: the only car on track), ranked by best lap', { timeout: 180_000 }, async () => {
    await timekeeper.locator('[data-test="competition-kind"]').selectOption('time-trial');
    await timekeeper.locator('[data-test="competition-name"]').fill('Qualifying');
    for (const car of ['1', '2']) await timekeeper.locator(`[data-entrant="${car}"]`).check();
    await timekeeper.locator('[data-test="minutes"]').fill('0.25');
    await timekeeper.locator('[data-test="runs"]').fill('1');
    await timekeeper.locator('[data-test="new-competition"] button[type="submit"]').click();
    await waitFor(async () => (await competition('Qualifying')) !== undefined, 'the time trial made', 10_000, 100);
    const trial = await competition('Qualifying');
    await timekeeper.locator(`[data-competition="${trial.id}"]`).waitFor();

    const laps = { '1': [2.2, 1.9, 2.1], '2': [1.7, 2.4, 2.0] } as const;
    for (const car of ['1', '2'] as const) {
      const run = await runNext(trial.id, car);
      expect(run).toMatchObject({ kind: 'trial', minutes: 0.25, standings: [{ car }] });
      let at = Date.now();
      await gate.cross({ atMs: at }); // the flying start
      for (const lap of laps[car]) {
        at += lap * 1000;
        await sleep(at - Date.now());
        await gate.cross({ atMs: at });
      }
      await waitFor(async () => (await race())?.standings[0]?.laps === 3, `car ${car}'s three laps`, 10_000, 100);
      const done = await racePhase('finished');
      expect(done!.standings[0]).toMatchObject({ car, name: car === '1' ? 'Ada' : 'Bo', laps: 3, bestLapS: car === '1' ? 1.9 : 1.7 });
      expect(done!.crossings.every((c) => c.assigned === 'only-car')).toBe(true);
      await close();
    }
    const ranked = (await competition('Qualifying')).standings;
    expect(ranked.kind === 'time-trial' && ranked.rows.map((r) => [r.position, r.car, r.bestLapMs])).toEqual([
      [1, '2', 1700],
      [2, '1', 1900],
    ]);
  });

  it('runs a double-elimination bracket seeded from the time trial to its results page', { timeout: 240_000 }, async () => {
    const trial = await competition('Qualifying');
    await timekeeper.locator('[data-test="competition-kind"]').selectOption('double-elimination');
    await timekeeper.locator('[data-test="competition-name"]').fill('Finals');
    await timekeeper.locator('[data-test="competition-laps"]').fill('2');
    await timekeeper.locator('[data-test="seed-from"]').selectOption(String(trial.id));
    await timekeeper.locator('[data-test="new-competition"] button[type="submit"]').click();
    await waitFor(async () => (await competition('Finals')) !== undefined, 'the bracket made', 10_000, 100);
    const finals = await competition('Finals');
    expect(finals.config.cars).toEqual(['2', '1']);
    await timekeeper.locator(`[data-competition="${finals.id}"] [data-test="next"]`).waitFor();

    // Bo wins the winners' bracket; Ada comes back through the grand final, Bo takes the decider.
    const winners = ['2', '1', '2'];
    for (const winner of winners) {
      const match = await runNext(finals.id);
      const loser = match.standings.map((s) => s.car).find((c) => c !== winner)!;
      for (let lap = 0; lap < 2; lap++) {
        await sleep(1_300);
        await gate.cross({ car: winner, source: 'sim' });
        await sleep(200);
        await gate.cross({ car: loser, source: 'sim' });
      }
      const done = await racePhase('finished');
      expect(done!.standings.map((s) => [s.car, s.status, s.laps]), JSON.stringify(done!.standings)).toEqual([
        [winner, 'finished', 2],
        [loser, 'finished', 2],
      ]);
      await close();
    }
    const result = await competition('Finals');
    expect(result.finished).toBe(true);
    expect(result.sessions.map((s) => s.label)).toEqual(["Finals · Winners' final", 'Finals · Grand final', 'Finals · Grand final (decider)']);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${platform.baseUrl}/results/competition/${finals.id}`);
    const ranking = page.locator('[data-test="ranking"]');
    await ranking.locator('tr[data-car]').nth(1).waitFor({ timeout: 15_000 });
    expect(await ranking.locator('tr[data-car]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-car'), r.getAttribute('data-place')]))).toEqual([
      ['2', '1'],
      ['1', '2'],
    ]);
    expect(await ranking.locator('tr[data-car="2"]').innerText()).toContain('Bo');
    expect(await page.locator('[data-match="F2"]').getAttribute('data-winner')).toBe('2');
    expect(await page.locator('[data-match="F1"]').getAttribute('data-winner')).toBe('1');
    expect(await page.locator('[data-test="rule"]').innerText()).toContain('Champion');
    expect(await page.locator('[data-test="sessions"] li').count()).toBe(3);
    await shot(page, 'bracket-results');
    const csv = await (await fetch(`${platform.baseUrl}/api/competitions/${finals.id}/results.csv`)).text();
    expect(csv.trim().split('\n')).toEqual(['competition,place,car,name,seed,decided_in', `${finals.id},1,2,Bo,1,F2`, `${finals.id},2,1,Ada,2,F2`]);
    await page.close();
  });

  it('runs a real-style race on gate crossings alone: assigned, a false one struck, a missed one added, a red flag; the overlay follows live', { timeout: 180_000 }, async () => {
    const overlay = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await overlay.goto(`${platform.baseUrl}/overlay`);
    // transparent for OBS: nothing of the dashboard's background
    expect(await overlay.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor])).toEqual([
      'rgba(0, 0, 0, 0)',
      'rgba(0, 0, 0, 0)',
    ]);

    const made = await fetch(`${platform.baseUrl}/api/race`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cars: ['1', '2'], laps: 2 }),
    });
    expect(made.status).toBe(201);
    const raceId = ((await made.json()) as RaceView).id;
    await waitFor(async () => (await race())?.waitingFor.length === 0, 'both cars on the grid', 60_000, 100);
    await timekeeper.locator('[data-test="start"]').click();
    await racePhase('racing');
    await overlay.locator('[data-test="overlay-standings"] li').nth(1).waitFor({ timeout: 15_000 });

    // The gate's crossings: Ada, Bo, a marshal's leg, Ada again (the flag). Bo's second crossing is missed.
    const t0 = Date.now() + 1_200;
    const plan = [0, 300, 500, 1_700];
    for (const offset of plan) {
      await sleep(t0 + offset - Date.now());
      await gate.cross({ atMs: t0 + offset });
    }
    const crossings = await waitFor(async () => {
      const now = await race();
      return now && now.crossings.length === 4 ? [...now.crossings].reverse() : undefined;
    }, 'the four crossings', 10_000, 100);
    expect(crossings.every((c) => c.car === null && c.source === 'gpio')).toBe(true);
    await timekeeper.locator('[data-test="crossings"] tbody tr').nth(3).waitFor({ timeout: 10_000 });

    await timekeeper.locator('[data-test="reason"]').fill('seen on the camera');
    await timekeeper.locator(`[data-crossing="${crossings[0]!.id}"] [data-assign="1"]`).click();
    await overlay.locator('[data-test="overlay-standings"] li[data-car="1"][data-laps="1"]').waitFor({ timeout: 10_000 });
    expect(await overlay.locator('[data-test="overlay-last-lap"]').innerText()).toContain('Ada');
    await timekeeper.locator(`[data-crossing="${crossings[1]!.id}"] [data-assign="2"]`).click();
    await overlay.locator('[data-test="overlay-standings"] li[data-car="2"][data-laps="1"]').waitFor({ timeout: 10_000 });
    expect(await overlay.locator('li[data-car="2"] [data-test="overlay-gap"]').innerText()).toBe('+0.300');
    expect(await overlay.locator('li[data-car="1"] [data-test="overlay-gap"]').innerText()).toBe('Leader');
    await shot(overlay, 'overlay', { omitBackground: true });

    await timekeeper.locator('[data-test="reason"]').fill('a marshal broke the beam');
    await timekeeper.locator(`[data-crossing="${crossings[2]!.id}"] [data-test="strike"]`).click();
    await waitFor(async () => (await race())?.crossings.find((c) => c.id === crossings[2]!.id)?.struck, 'the false crossing struck', 10_000, 100);

    // red flag: the overlay says so and its clock stands
    await timekeeper.locator('[data-test="reason"]').fill('car 2 stopped on the line');
    await timekeeper.locator('[data-test="red-flag"]').click();
    await overlay.locator('[data-test="overlay-red-flag"]').waitFor({ timeout: 10_000 });
    const clock = await overlay.locator('[data-test="overlay-clock"]').innerText();
    await sleep(500);
    expect(await overlay.locator('[data-test="overlay-clock"]').innerText()).toBe(clock);
    await timekeeper.locator('[data-test="red-flag"]').click();
    await overlay.locator('[data-test="overlay-red-flag"]').waitFor({ state: 'detached', timeout: 10_000 });

    await timekeeper.locator('[data-test="reason"]').fill('seen on the camera');
    await timekeeper.locator(`[data-crossing="${crossings[3]!.id}"] [data-assign="1"]`).click();
    await overlay.locator('[data-test="overlay-standings"] li[data-car="1"][data-laps="2"]').waitFor({ timeout: 10_000 });

    // A lap in the future is refused (and counted), never shown; then the missed one, 1.8 s after Bo's first.
    const futureBefore = (await refused()).correction_future_lap ?? 0;
    await timekeeper.locator('[data-test="lap-car"]').selectOption('2');
    await timekeeper.locator('[data-test="lap-time"]').fill('59:00.000');
    await timekeeper.locator('[data-test="add-lap"] button[type="submit"]').click();
    await timekeeper.locator('[data-test="notice"]').filter({ hasText: 'in the future' }).waitFor({ timeout: 10_000 });
    expect((await refused()).correction_future_lap).toBe(futureBefore + 1);
    const missedAt = (crossings[1]!.raceS + 1.8).toFixed(3);
    await timekeeper.locator('[data-test="lap-time"]').fill(missedAt);
    await timekeeper.locator('[data-test="add-lap"] button[type="submit"]').click();
    const done = await racePhase('finished');
    expect(done!.standings.map((s) => [s.position, s.name, s.status, s.laps, s.gapS])).toEqual([
      [1, 'Ada', 'finished', 2, 0],
      [2, 'Bo', 'finished', 2, 0.4],
    ]);
    expect(done!.corrections.map((c) => [c.kind, c.by])).toEqual([
      ['assign', 'Tess'],
      ['assign', 'Tess'],
      ['strike', 'Tess'],
      ['red-flag', 'Tess'],
      ['resume', 'Tess'],
      ['assign', 'Tess'],
      ['add-lap', 'Tess'],
    ]);
    await shot(timekeeper, 'timekeeper');
    await overlay.locator('[data-test="overlay"][data-phase="finished"]').waitFor({ timeout: 10_000 });
    await shot(overlay, 'overlay-finished', { omitBackground: true });
    await overlay.close();
    await close();

    // the printable results: every lap of every car, every correction with who, when and why
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${platform.baseUrl}/results/${raceId}`);
    await page.locator('[data-test="classification"] tr[data-car]').nth(1).waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-test="laps"] tbody tr').count()).toBe(2);
    expect((await page.locator('[data-test="laps"] tr[data-lap="2"] td[data-car="2"]').innerText()).trim()).toBe('0:01.800');
    const corrections = page.locator('[data-test="corrections"] tbody tr');
    expect(await corrections.count()).toBe(7);
    expect(await page.locator('[data-test="corrections"] tr[data-kind="strike"]').innerText()).toContain('a marshal broke the beam');
    await shot(page, 'race-results');
    await page.close();
    const csv = (await (await fetch(`${platform.baseUrl}/api/races/${raceId}/results.csv`)).text()).trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[4]).toMatch(new RegExp(`^${raceId},race ${raceId},2,2,Bo,finished,2,.*,2,1.8,0,`));
  });
});
