/**
 * `image`: the car's OS image (npm run image). Needs root, Debian's image tools and QEMU.
 *
 * - `image_build_s`: a clean build of the qemu-x86_64 image into an empty cache (mmdebstrap, Node,
 *   addons: everything downloaded and made again). Only with EDGE_BENCH_IMAGE_CLEAN=1 (it takes many
 *   minutes and the network); otherwise not reported.
 * - `image_rebuild_s`: the same build again with the cache warm: what a change to the car's services
 *   costs (bundle, tree, file systems, disk, compression, manifest).
 * - `image_mb`, `image_compressed_mb`, `image_rootfs_used_mb`: from its manifest.
 * - `image_boot_to_drive_s_x86_64` / `_arm64`: QEMU start until the car's first camera frame reaches
 *   the NUC on the host, provisioned at first boot, under TCG (emulated: a real board is faster).
 * - `image_car_rss_mb_arm64`: the car services' RSS summed inside the arm64 guest (median of five
 *   measurements over about a minute once frames flow). A sum of RSS counts node's binary and the shared
 *   libraries once per process; `image_car_pss_mb_arm64` (PSS summed) shares them out, so it is
 *   what the services take from the board's RAM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage, targetOf, type TargetName } from '../../image/index.ts';
import { IMAGE_CACHE } from '../hil/image/guest.ts';
import { startImageRig, waitUntil } from '../hil/image/rig.ts';
import { testOsKeys } from '../hil/image/test-os-keys.ts';
import type { Benchmark, Metric } from './types.ts';

const PROJECT_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const MB = 1e6;
const round = (value: number): number => Math.round(value * 10) / 10;

async function timedBuild(cacheDir: string): Promise<{ seconds: number; manifest: Awaited<ReturnType<typeof buildImage>>['manifest'] }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-image-bench-'));
  const started = performance.now();
  try {
    const result = await buildImage({ target: targetOf('qemu-x86_64'), outDir: out, cacheDir, projectRoot: PROJECT_ROOT, keyring: (await testOsKeys()).caCert, progress: (line) => process.stderr.write(`[image] ${line}\n`) });
    return { seconds: (performance.now() - started) / 1000, manifest: result.manifest };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function bootToDrive(target: TargetName): Promise<{ seconds: number; carRssMb: number; carPssMb: number }> {
  const rig = await startImageRig(target);
  try {
    await waitUntil(() => rig.frames.length > 0, `the first frame from the ${target} guest`, 30 * 60_000, 100);
    const seconds = (rig.frames[0]!.at - rig.guest.startedAt) / 1000;
    const rss: number[] = [];
    const pss: number[] = [];
    const since = rig.guest.mark();
    await rig.guest.waitFor(/EDGE-TEST [^\n]*car_rss_kb=[1-9]/, 'a memory report', 120_000, since);
    // the guest measures memory every 20th report: 100 reports hold five measurements
    for (let i = 0; i < 100; i++) {
      const mark = rig.guest.mark();
      await rig.guest.waitFor(/EDGE-TEST /, 'a memory report', 60_000, mark);
      const report = rig.guest.latestReport(mark);
      if (report && report.carRssKb > 0) {
        rss.push(report.carRssKb / 1024);
        pss.push(report.carPssKb / 1024);
      }
    }
    return { seconds, carRssMb: median(rss), carPssMb: median(pss) };
  } finally {
    await rig.stop();
  }
}

const bench: Benchmark = {
  name: 'image',
  description: 'the car OS image: build and rebuild time, sizes, QEMU boot to the first frame at the NUC (TCG), car memory in the arm64 guest',
  async run(): Promise<Metric[]> {
    const metrics: Metric[] = [];
    const add = (metric: string, value: number, unit: string): void => void metrics.push({ bench: 'image', metric, value: round(value), unit });
    if (process.env.EDGE_BENCH_IMAGE_CLEAN === '1') {
      const clean = fs.mkdtempSync(path.join(PROJECT_ROOT, 'data', 'cache', 'image-clean-'));
      try {
        add('image_build_s', (await timedBuild(clean)).seconds, 's');
      } finally {
        fs.rmSync(clean, { recursive: true, force: true });
      }
    }
    await timedBuild(IMAGE_CACHE); // warms the cache when it was cold
    const rebuild = await timedBuild(IMAGE_CACHE);
    add('image_rebuild_s', rebuild.seconds, 's');
    add('image_mb', rebuild.manifest.image.bytes / MB, 'MB');
    add('image_compressed_mb', rebuild.manifest.image.compressed.bytes / MB, 'MB');
    add('image_rootfs_used_mb', rebuild.manifest.sizes.rootfsUsedBytes / MB, 'MB');
    add('image_boot_to_drive_s_x86_64', (await bootToDrive('qemu-x86_64')).seconds, 's');
    const arm = await bootToDrive('qemu-arm64');
    add('image_boot_to_drive_s_arm64', arm.seconds, 's');
    add('image_car_rss_mb_arm64', arm.carRssMb, 'MB');
    add('image_car_pss_mb_arm64', arm.carPssMb, 'MB');
    return metrics;
  },
};

export default bench;
