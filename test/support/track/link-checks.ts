/**
 * Test and benchmark support: what a driver does and sees across the link, measured the same way
 * in test/integration/track-link.test.ts (which asserts the behaviour) and the `link` benchmark
 * (which reports the figures): a sweep of wheel commands watched to the chip, and an update
 * download cut by a partition.
 */
import { randomBytes } from 'node:crypto';
import { TufRepository, buildService, findServiceSpec, publishRelease } from '../../../deploy/index.ts';
import { sleep, waitFor } from '../net.ts';
import { ROOT } from '../platform.ts';
import { videoIn, type DriverClient } from './driver-client.ts';
import { TRACK_WIFI } from './link-profile.ts';
import type { TrackPlatform } from './track-platform.ts';

/** the nearest-rank percentile of sorted values; NaN for none */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Switches car 1's mode from the driver's side and waits until its pilot says so. An action is one
 * message on the bus: one sent while the car's subscription to the NUC is still reconnecting (just
 * after a partition heals) is lost, so the driver presses again each second until the car obeys.
 */
export async function setMode(track: TrackPlatform, driver: DriverClient, mode: 'user' | 'local'): Promise<void> {
  const since = Date.now();
  let pressedAt = 0;
  await waitFor(
    async () => {
      if (track.car.heard('telemetry').some((t) => t.at >= since && t.header.mode === mode)) return true;
      if (Date.now() - pressedAt >= 1000) {
        pressedAt = Date.now();
        await driver.action({ mode });
      }
      return undefined;
    },
    `the car in ${mode} mode`,
    30_000,
  );
}

export interface SweepResult {
  /** angles applied after the sweep began that were none of its own (should be none) */
  foreignAngles: number[];
  /** "older after newer" for every sweep command applied after a newer one (should be none) */
  outOfOrder: string[];
  /** the index of the last sweep command applied */
  lastApplied: number | undefined;
  /** input → chip, ms, sorted, for each sweep command that reached the chip */
  controlLatencies: number[];
  videoFps: number;
  /** capture → the driver, ms, sorted */
  videoLatencies: number[];
  /** "earlier frame after a later one" for every frame shown out of order (should be none) */
  videoOutOfOrder: string[];
  framesShown: number;
}

/**
 * The driver sweeps the wheel through `count` distinct angles, 20 a second, in user mode (the
 * caller switches), while watching video; resolves once the last angle reached the chip.
 */
export async function steeringSweep(track: TrackPlatform, driver: DriverClient, count: number): Promise<SweepResult> {
  const angles = Array.from({ length: count }, (_, i) => Math.round((-0.9 + (i * 1.8) / (count - 1)) * 1000) / 1000);
  const indexOf = new Map(angles.map((angle, i) => [angle, i]));
  const sentAt: number[] = [];
  const from = Date.now();
  for (const angle of angles) {
    sentAt.push(Date.now());
    driver.input(angle, 0.2);
    await sleep(50); // the page's send interval: pacing the input, not waiting for anything
  }
  const to = Date.now();
  const commands = () => track.car.heard('applied').filter((a) => a.at >= from && a.header.reason === 'command');
  await waitFor(() => commands().some((a) => a.header.angle === angles.at(-1)) || undefined, 'the last angle at the chip', 10_000);

  const applied = commands();
  const sweep = applied.slice(Math.max(0, applied.findIndex((a) => indexOf.has(a.header.angle))));
  const indices = sweep.flatMap((a) => (indexOf.has(a.header.angle) ? [{ at: a.at, index: indexOf.get(a.header.angle)! }] : []));
  const controlLatencies = sentAt
    .flatMap((sent, i) => {
      const reached = indices.find((s) => s.index === i);
      return reached ? [reached.at - sent] : [];
    })
    .sort((a, b) => a - b);
  const shown = driver.frames.filter((f) => f.at >= from && f.at < to);
  const video = videoIn(driver.frames, from, to);
  return {
    foreignAngles: sweep.filter((a) => !indexOf.has(a.header.angle)).map((a) => a.header.angle),
    outOfOrder: indices.flatMap((s, i) => (i > 0 && s.index < indices[i - 1]!.index ? [`${indices[i - 1]!.index} then ${s.index}`] : [])),
    lastApplied: indices.at(-1)?.index,
    controlLatencies,
    videoFps: video.fps,
    videoLatencies: video.latencies,
    videoOutOfOrder: shown.flatMap((f, i) => (i > 0 && f.frameTs < shown[i - 1]!.frameTs ? [`${shown[i - 1]!.source} ${shown[i - 1]!.seq} then ${f.source} ${f.seq}`] : [])),
    framesShown: shown.length,
  };
}

export interface CutDownload {
  /** the bytes of the release's pilot files (what the car had none of) */
  sizeBytes: number;
  /** what the agent fetched in total for it */
  fetchedBytes: number;
  /** requests abandoned as silent and resumed */
  resumes: number;
  /** padding in the release, bytes */
  paddingBytes: number;
}

/**
 * Publishes a pilot with `paddingBytes` of random data, cuts the link (silently) while the car
 * downloads it, until the agent has abandoned the silent request, then heals and waits until the
 * release is installed. The NUC-to-car direction is track Wi-Fi slowed to `rateMbit` so the download lasts
 * long enough to be cut; the profile is left that way.
 */
export async function cutDownload(track: TrackPlatform, options: { paddingBytes: number; rateMbit: number; partitionMs: number }): Promise<CutDownload> {
  await track.hosts.setProfile({ ...TRACK_WIFI, rateMbit: options.rateMbit }, 'toCar');
  const agentGauge = (name: string): number | undefined => track.car.heard('metrics').filter((m) => m.header.service === 'agent').at(-1)?.header.gauges?.[name];
  const fetchedBefore = await waitFor(() => agentGauge('ota_bytes_fetched'), "the agent's download counter", 15_000);
  const resumesBefore = agentGauge('ota_download_resumes') ?? 0;

  const content = await buildService(findServiceSpec('pilot'), ROOT);
  const padding = { path: 'padding.bin', bytes: randomBytes(options.paddingBytes) };
  // the entry changed too, so each call is a new release
  const files = content.files.map((f) => (f.path === content.entry ? { ...f, bytes: Buffer.concat([f.bytes, Buffer.from(`\n// cut download ${Date.now()}\n`)]) } : f));
  const manifest = publishRelease(TufRepository.open(track.repoDir), track.keys, { label: 'pilot with padding', services: { pilot: { ...content, files: [...files, padding] } } });
  const sizeBytes = manifest.services.pilot!.files.reduce((sum, f) => sum + f.length, 0);

  await waitFor(() => (agentGauge('ota_bytes_fetched') ?? 0) > fetchedBefore || undefined, 'the download under way', 60_000, 20);
  const partitionAt = Date.now();
  await track.hosts.partition();
  try {
    // no FIN comes in a partition: the agent notices the silence itself
    await waitFor(() => (agentGauge('ota_download_resumes') ?? 0) > resumesBefore || undefined, 'the silent request abandoned', 30_000, 50);
    await sleep(Math.max(0, partitionAt + options.partitionMs - Date.now()));
  } finally {
    await track.hosts.heal();
  }
  await waitFor(
    () => track.car.heard('agent').some((a) => a.at > partitionAt && a.header.version === manifest.version && a.header.state === 'idle') || undefined,
    'the release installed',
    120_000,
    50,
  );
  const reportedAfter = Date.now();
  await waitFor(() => track.car.heard('metrics').some((m) => m.header.service === 'agent' && m.at > reportedAfter) || undefined, 'a fresh agent report', 15_000);
  return {
    sizeBytes,
    fetchedBytes: agentGauge('ota_bytes_fetched')! - fetchedBefore,
    resumes: agentGauge('ota_download_resumes')! - resumesBefore,
    paddingBytes: options.paddingBytes,
  };
}
