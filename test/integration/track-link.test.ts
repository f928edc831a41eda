/**
 * Issue #14, what must hold across the link: the NUC and car 1 on two hosts (network namespaces)
 * joined by "track Wi-Fi" (30 ms RTT ± 10 ms, 2 % loss, 1 % reordering), one platform start for
 * the whole file. The figures (fps, latencies, resume times, bytes) are printed, not asserted: the
 * tests assert what a driver notices (video flowing in order, the latest control winning and none
 * applied out of order, neutral in a partition, "link lost" on the screen, everything back after
 * it heals without a restart, a cut update download resumed instead of restarted).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../../protocol/index.ts';
import { ensureDashboardBuilt, hasChromium, launchChromium } from '../support/browser.ts';
import { waitFor, sleep } from '../support/net.ts';
import { getJson, type ServiceInfo } from '../support/platform.ts';
import { connectDriver, type DriverClient } from '../support/track/driver-client.ts';
import { cutDownload, percentile, setMode, steeringSweep } from '../support/track/link-checks.ts';
import { TRACK_WIFI } from '../support/track/link-profile.ts';
import { startTrackPlatform, type TrackPlatform } from '../support/track/track-platform.ts';
import { twoHostsUnavailable } from '../support/track/two-hosts.ts';

const unavailable = twoHostsUnavailable();
if (unavailable) console.warn(`track-link tests skipped: ${unavailable}`);

const TOKEN = 'track-link-test-token';
const PARTITION_MS = 10_000;
/** the configured defaults: a silent driver's throttle is dropped after userTimeoutMs, a silent pilot's after failsafeMs */
const FAILSAFE_MS = 250;
const USER_TIMEOUT_MS = 500;

const figures: Record<string, number> = {};
function report(name: string, value: number): void {
  figures[name] = Math.round(value * 1000) / 1000;
  console.log(`[track-link] ${name} = ${figures[name]}`);
}

describe.skipIf(unavailable !== undefined)('a car behind track Wi-Fi (two hosts)', () => {
  let track: TrackPlatform;
  let driver: DriverClient;
  let browser: Browser | undefined;

  const applied = () => track.car.heard('applied');
  const carPids = (): Record<string, number> => Object.fromEntries(track.car.pids);
  const nucPids = async (): Promise<Record<string, number>> => {
    const services = await getJson<ServiceInfo[]>(`${track.baseUrl}/api/services`);
    return Object.fromEntries(services.filter((s) => s.scope === 'nuc').map((s) => [s.service, s.metrics.pid]));
  };
  /** the indexes of a steering sweep's commands (steeringSweep's angles) as the uplink handed them to the car, since `from` */
  const handedToCar = (from: number, count: number): number[] => {
    const angles = Array.from({ length: count }, (_, i) => Math.round((-0.9 + (i * 1.8) / (count - 1)) * 1000) / 1000);
    return track.car.heard('control').filter((c) => c.at >= from && angles.includes(c.header.angle)).map((c) => angles.indexOf(c.header.angle));
  };
  /** the driver holding the wheel: an input every 50 ms, as the page sends while a key is down */
  const holdInput = (angle: number, throttle: number): (() => void) => {
    const timer = setInterval(() => driver.input(angle, throttle), 50);
    return () => clearInterval(timer);
  };

  beforeAll(async () => {
    if (hasChromium) ensureDashboardBuilt();
    track = await startTrackPlatform({
      profile: TRACK_WIFI,
      token: TOKEN,
      config: { car: { agent: { pollMs: 300 } } },
      // control as the uplink hands it to the car
      record: ['applied', 'drive', 'telemetry', 'metrics', 'link', 'agent', 'control'],
    });
    driver = await connectDriver(track.baseUrl, '1', TOKEN);
    await waitFor(() => driver.frames.length >= 10 && driver.telemetry.length >= 10, 'video and telemetry at the driver', 60_000, 100);
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    driver?.close();
    await track?.stop();
    console.log(`[track-link] figures ${JSON.stringify(figures)}`);
  }, 60_000);

  it('under track Wi-Fi video keeps flowing in order and the latest wheel command wins, none applied out of order', async () => {
    await setMode(track, driver, 'user');
    const sweepFrom = Date.now();
    const sweep = await steeringSweep(track, driver, 100);
    // every command applied after the sweep began is one of its angles, never an older one after a newer, and the last wins
    expect(sweep.foreignAngles).toEqual([]);
    expect(sweep.outOfOrder).toEqual([]);
    expect(sweep.lastApplied).toBe(99);
    // every one reached the car's bus, once and in order; at the chip a newer one may overtake an
    // older one only in the pilot's hands (latest wins: how many it skips depends on the machine's load)
    expect(handedToCar(sweepFrom, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // latest wins for video too: a frame captured before one shown is never shown after it
    expect(sweep.framesShown).toBeGreaterThan(0);
    expect(sweep.videoOutOfOrder).toEqual([]);
    report('link_video_fps', sweep.videoFps);
    report('link_video_p95_ms', percentile(sweep.videoLatencies, 95));
    report('link_control_p50_ms', percentile(sweep.controlLatencies, 50));
    report('link_control_p99_ms', percentile(sweep.controlLatencies, 99));
    report('link_controls_applied', sweep.controlLatencies.length);
    const counters = await track.hosts.counters();
    console.log(`[track-link] relay counters ${JSON.stringify(counters)}`);
    expect(counters.toCar.lost + counters.toNuc.lost).toBeGreaterThan(0);
    expect(counters.toCar.reordered + counters.toNuc.reordered).toBeGreaterThan(0);
  });

  it("control does not wait behind a lost segment: with two of the car's three control connections losing everything, every command still arrives, in order", async () => {
    await setMode(track, driver, 'user');
    // the wheel centred first, so the last sweep's final angle (one of this sweep's too) is not applied in this one
    const centredFrom = Date.now();
    const releaseCentre = holdInput(0, 0);
    try {
      await waitFor(() => applied().some((a) => a.at > centredFrom && a.header.reason === 'command' && a.header.angle === 0) || undefined, 'the wheel centred', 15_000);
    } finally {
      releaseCentre();
    }
    // the uplink's connections to the NUC proxy's subscriber side: its main subscription and two control lanes
    const lanes = track.hosts.carConnectionsTo(DEFAULT_PORTS.subscribers).map((c) => c.port);
    expect(lanes).toHaveLength(3);
    const lost = await track.hosts.blackhole(lanes.slice(0, 2));
    let sweep: Awaited<ReturnType<typeof steeringSweep>>;
    let lostDuring: number;
    const sweepFrom = Date.now();
    try {
      // 1.5 s: shorter than the heartbeat timeout, so the held-back connections stay up, waiting for retransmissions
      sweep = await steeringSweep(track, driver, 30);
    } finally {
      lostDuring = (await track.hosts.blackhole([])) - lost;
    }
    expect(lostDuring).toBeGreaterThan(0);
    // every command reached the car's bus through the one connection left, once each and in order
    // (the pilot may still skip one when a newer one is waiting: latest wins)
    expect(handedToCar(sweepFrom, 30)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(sweep.foreignAngles).toEqual([]);
    expect(sweep.outOfOrder).toEqual([]);
    expect(sweep.lastApplied).toBe(29);
    report('lanes_blackholed_segments', lostDuring);
    report('lanes_control_p99_ms', percentile(sweep.controlLatencies, 99));
  });

  it('a 10 s silent partition in user mode: neutral throttle, "link lost" on the driver\'s screen, and after it heals everything resumes with no process restarted', async () => {
    let page: Page | undefined;
    if (hasChromium) {
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(`${track.baseUrl}/drive/1?token=${TOKEN}`);
      await waitFor(async () => /[1-9]\d* fps/.test((await page!.locator('[data-test="link"]').textContent()) ?? ''), 'video on the driver page', 60_000, 200);
    } else {
      console.warn('track-link: the "link lost" screen is not checked: /usr/bin/chromium is not installed');
    }
    const holdingFrom = Date.now();
    const release = holdInput(0.1, 0.5);
    try {
      await waitFor(() => applied().some((a) => a.at > holdingFrom && a.header.reason === 'command' && a.header.angle === 0.1 && a.header.throttle > 0), 'the driver driving', 15_000);
      const carBefore = carPids();
      const nucBefore = await nucPids();

      const partitionAt = Date.now();
      await track.hosts.partition();
      await waitFor(() => applied().some((a) => a.at >= partitionAt && a.header.throttle === 0) || undefined, 'neutral throttle at the chip in the partition', 10_000, 5);
      if (page) {
        await page.locator('[data-test="link-lost"]').waitFor({ state: 'visible', timeout: 10_000 });
        report('partition_link_lost_shown_ms', Date.now() - partitionAt);
        // and for how long: the count goes on
        await waitFor(async () => /lost · ([3-9]|\d\d+) s/.test((await page!.locator('[data-test="link-lost"]').textContent()) ?? ''), 'the link-lost count', 10_000, 200);
      }
      const downAt = await waitFor(() => track.car.heard('link').find((l) => l.at >= partitionAt && !l.header.up)?.at, "the car's uplink noticing the silence", PARTITION_MS);
      report('partition_uplink_down_ms', downAt - partitionAt);
      await sleep(partitionAt + PARTITION_MS - Date.now()); // the partition's length is the scenario, not a wait
      // the driver held the throttle all along, yet the car went to neutral and stayed there (a command
      // already in flight when the link was cut may still land just after; never once the car knows
      // the link is gone)
      const during = applied().filter((a) => a.at >= partitionAt);
      const lastDriven = during.findLastIndex((a) => a.header.throttle !== 0);
      expect(lastDriven, 'the car still driving at the end of the partition').toBeLessThan(during.length - 1);
      const neutral = during[lastDriven + 1]!;
      expect(neutral.header.throttle).toBe(0);
      expect(during.filter((a) => a.at >= downAt && a.header.throttle !== 0)).toEqual([]);
      report('partition_user_neutral_ms', neutral.at - partitionAt);
      console.log(`[track-link] neutral by ${neutral.header.reason}; the target is failsafeMs + userTimeoutMs = ${FAILSAFE_MS + USER_TIMEOUT_MS} ms`);

      const healAt = Date.now();
      await track.hosts.heal();
      const frameAt = await waitFor(() => driver.frames.find((f) => f.at > healAt && f.frameTs > healAt)?.at, 'a new frame at the driver', 30_000, 10);
      const telemetryAt = await waitFor(() => driver.telemetry.find((t) => t.at > healAt)?.at, 'telemetry at the driver', 30_000, 10);
      const controlAt = await waitFor(
        () => applied().find((a) => a.at > healAt && a.header.reason === 'command' && a.header.throttle > 0)?.at,
        "the driver's throttle at the chip again",
        30_000,
        10,
      );
      report('link_resume_s', (frameAt - healAt) / 1000);
      report('resume_telemetry_s', (telemetryAt - healAt) / 1000);
      report('resume_control_s', (controlAt - healAt) / 1000);
      if (page) {
        await page.locator('[data-test="link-lost"]').waitFor({ state: 'hidden', timeout: 30_000 });
        report('resume_link_lost_gone_s', (Date.now() - healAt) / 1000);
      }
      // the same processes carried on: nothing restarted on either host
      await waitFor(() => track.car.heard('metrics').filter((m) => m.at > healAt).length >= 7 || undefined, 'car metrics after the heal', 15_000);
      expect(carPids()).toEqual(carBefore);
      expect(await nucPids()).toEqual(nucBefore);
    } finally {
      release();
      await track.hosts.heal();
    }
  }, 120_000);

  it('a partition in local mode: the car keeps driving its own loop (onLinkLoss continue, the simulator default)', async () => {
    await setMode(track, driver, 'local');
    await waitFor(() => applied().some((a) => a.header.reason === 'command' && a.header.throttle > 0 && a.at > Date.now() - 500), 'the pilot driving', 15_000);
    const partitionAt = Date.now();
    await track.hosts.partition();
    try {
      const downAt = await waitFor(() => track.car.heard('link').find((l) => l.at >= partitionAt && !l.header.up)?.at, "the car's uplink noticing the silence", PARTITION_MS);
      // two seconds on with the link known down, the pilot still drives and the car still moves
      await waitFor(() => applied().some((a) => a.at > downAt + 2000), 'the actuator going on', 10_000);
      const during = applied().filter((a) => a.at > downAt && a.at <= downAt + 2000);
      expect(during.length).toBeGreaterThan(0);
      expect(during.every((a) => a.header.reason === 'command' && a.header.throttle > 0)).toBe(true);
      const moving = track.car.heard('telemetry').filter((t) => t.at > downAt + 1000);
      expect(moving.some((t) => (t.header.sim?.speed ?? 0) > 0)).toBe(true);
    } finally {
      await track.hosts.heal();
    }
    await waitFor(() => track.car.heard('link').some((l) => l.at > partitionAt && l.header.up), 'the link up again', 30_000);
  }, 60_000);

  it('an update download cut by a partition resumes where it stopped and completes', async () => {
    const cut = await cutDownload(track, { paddingBytes: 4 * 1024 * 1024, rateMbit: 8, partitionMs: 5000 });
    report('link_ota_size_bytes', cut.sizeBytes);
    report('link_ota_resume_bytes', cut.fetchedBytes);
    report('link_ota_resumes', cut.resumes);
    expect(cut.resumes).toBeGreaterThan(0);
    expect(cut.fetchedBytes).toBeLessThanOrEqual(cut.sizeBytes + 64 * 1024);
    expect(cut.fetchedBytes).toBeGreaterThan(cut.paddingBytes);
  }, 240_000);
});
