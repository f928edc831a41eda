/**
 * `os`: an OS update of the x86_64 image's QEMU guest (TCG, 2 cores), as the fault table runs it.
 * Needs root, Debian's image tools, RAUC and QEMU; one run takes about half an hour.
 *
 * First a panicking OS installed by hand (RAUC through the tests' shell), then a good OS through the
 * NUC (`deploy publish os`, the agent, a driver sending a control every 100 ms until the install is
 * done, then at rest):
 * - `os_fallback_s`: the reboot into the panicking OS → the car's services ready again on the old slot.
 * - `os_bundle_mb`: the good OS as a whole bundle (the image's slot A, verity, signed).
 * - `os_update_bytes`: what the car downloaded for it, as its agent reports it (`downloadedBytes`):
 *   the release is the chunked bundle of an OS that changes only a car service file, so the car
 *   downloads the small bundle (the slot's casync index) and the chunks slot A lacks.
 * - `os_install_s`: the NUC showing `installing` → `pending-reboot` (RAUC writes the 1 GiB slot).
 * - `os_drive_gap_ms`: the longest gap between two applies at the actuator (`apply_gap_max_ms`,
 *   over 10 s windows) while the OS downloaded and installed.
 * - `os_reboot_to_healthy_s`: the NUC showing `rebooting` → `good` (boot, trial, mark-good).
 * - `os_publish_to_healthy_s`: `deploy publish os` → `good` on the NUC.
 */
import fs from 'node:fs';
import type { Benchmark, Metric } from './types.ts';
import { osUpdateThroughNuc } from '../hil/image/os-fleet.ts';
import { makeTestBundles } from '../hil/image/os-test-bundles.ts';
import { startImageRig, waitUntil } from '../hil/image/rig.ts';
import { startTestShell } from '../hil/image/test-shell.ts';

const MB = 1e6;
const BOOT_TIMEOUT_MS = 20 * 60_000;
const round = (value: number): number => Math.round(value * 10) / 10;
const step = (line: string): void => void process.stderr.write(`[os bench] ${new Date().toISOString()} ${line}\n`);

const bench: Benchmark = {
  name: 'os',
  description: 'an OS update of the x86_64 image under QEMU (TCG): bundle size, download, install while driving, reboot to healthy, publish to healthy, and a panicking OS falling back',
  async run(): Promise<Metric[]> {
    const metrics: Metric[] = [];
    const add = (metric: string, value: number, unit: string): void => void metrics.push({ bench: 'os', metric, value: round(value), unit });
    const shell = await startTestShell();
    const rig = await startImageRig('qemu-x86_64', { shell, updates: true });
    try {
      const bundles = await makeTestBundles(rig.built, step);
      const good = bundles.good!;
      await rig.guest.waitFor(/EDGE-CAR-READY/, 'the car services ready', BOOT_TIMEOUT_MS);
      await waitUntil(() => rig.frameCount() > 0, 'frames from the car', BOOT_TIMEOUT_MS);

      shell.offer('panic.raucb', bundles.panic);
      await shell.check('mkdir -p /data/test-os');
      await shell.copyIn('panic.raucb', '/data/test-os/panic.raucb');
      await shell.check('rauc install /data/test-os/panic.raucb && rm /data/test-os/panic.raucb', 20 * 60_000);
      const mark = rig.guest.mark();
      const rebootAt = performance.now();
      await shell.run('sync; systemctl reboot', 60_000).catch(() => undefined);
      shell.abandon('the guest rebooted');
      await rig.guest.waitFor(/Kernel panic/, 'the panicking OS', BOOT_TIMEOUT_MS, mark);
      await rig.guest.waitFor(/EDGE-CAR-READY/, 'the car services ready again on the old slot', BOOT_TIMEOUT_MS, mark);
      add('os_fallback_s', (performance.now() - rebootAt) / 1000, 's');
      step(`fell back in ${metrics.at(-1)!.value} s`);

      const bytes = fs.statSync(good.file).size;
      add('os_bundle_mb', bytes / MB, 'MB');
      const run = await osUpdateThroughNuc(rig, good.chunked, good.version, { installTimeoutMs: 60 * 60_000, bootTimeoutMs: BOOT_TIMEOUT_MS, step });
      if (run.seen?.osUpdate?.outcome !== 'good') throw new Error(`the good OS ended ${run.outcomes.join(' → ')}`);
      const downloaded = run.seen.osUpdate.downloadedBytes;
      if (downloaded === undefined) throw new Error('the agent reported no downloadedBytes');
      add('os_update_bytes', downloaded, 'bytes');
      add('os_update_pct', (100 * downloaded) / bytes, '%');
      if (run.installingAt !== undefined && run.pendingAt !== undefined) add('os_install_s', (run.pendingAt - run.installingAt) / 1000, 's');
      if (run.gapSamples.length > 0) add('os_drive_gap_ms', Math.max(...run.gapSamples), 'ms');
      if (run.rebootingAt !== undefined) add('os_reboot_to_healthy_s', (run.endedAt - run.rebootingAt) / 1000, 's');
      add('os_publish_to_healthy_s', (run.endedAt - run.publishedAt) / 1000, 's');
      step(`drive gap samples (ms): ${run.gapSamples.join(', ')}`);
      return metrics;
    } finally {
      await rig.stop();
      await shell.stop();
    }
  },
};

export default bench;
