/**
 * One image test per target, the same story: build the image, provision it for car 7 and a NUC this
 * test runs on the host (QEMU's user network: the guest reaches the host's loopback at 10.0.2.2), boot
 * it under TCG, and assert from outside: first boot provisions; the car pairs and its frames reach
 * the NUC with the header's size the JPEG's; a driver's control moves the PCA9685's registers; silence
 * brings the throttle to neutral; a reboot keeps the calibration, the estop latch and the keys.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasEmulatedPca9685, targetOf, type TargetName } from '../../../image/index.ts';
import { describeOsUpdates } from './os-updates.ts';
import { CAR, startImageRig, TOKEN, waitUntil, type ImageRig } from './rig.ts';
import { startTestShell, type TestShell } from './test-shell.ts';

/** Default calibration (runtime/config-schema.ts): throttle stopped at 370 counts. */
const DEFAULT_NEUTRAL = 370;
const SAVED_NEUTRAL = 372;

export interface ImageScenarioOptions {
  target: TargetName;
  /** building (first time: minutes for mmdebstrap), booting and node's first start under TCG */
  buildTimeoutMs: number;
  bootTimeoutMs: number;
  memoryMb?: number;
  /** whether this target also runs the reboot test (the same provisioning and data code on every target; it needs the emulated PCA9685) */
  reboot: boolean;
  /** the environment variable that turns this target's tests on or off, and its default */
  enabledBy: { variable: string; byDefault: boolean };
  /** then, on the same guest, OS updates (os-updates.ts): the whole fault table, or only those through the NUC */
  osUpdates?: 'fault-table' | 'through-nuc';
}

/**
 * A target's scenario builds a whole OS image (many minutes cold; `.ci/run` prebuilds it in the
 * background while the other tests run) and boots it under TCG. Each target's variable turns it
 * off (0) or on (1) on a machine without the image tools or the time.
 */
function enabled({ variable, byDefault }: ImageScenarioOptions['enabledBy']): boolean {
  const value = process.env[variable];
  return value === undefined || value === '' ? byDefault : value === '1';
}

export function describeImageUnderQemu(options: ImageScenarioOptions): void {
  const { target } = options;
  if (!enabled(options.enabledBy)) {
    describe.skip(`the ${target} image under QEMU (TCG): off; ${options.enabledBy.variable}=1 runs it (builds the image: many minutes cold)`, () => {
      it.skip('provisions itself, pairs, drives and fails safe');
    });
    return;
  }
  let rig: ImageRig;
  let guest: ImageRig['guest'];
  let frames: ImageRig['frames'];
  let send: ImageRig['send'];
  const report = (since: number) => guest.latestReport(since);

  let shell: TestShell | undefined;

  beforeAll(async () => {
    if (options.osUpdates) shell = await startTestShell();
    rig = await startImageRig(target, { ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}), ...(shell ? { shell, updates: true } : {}) });
    ({ guest, frames, send } = rig);
  }, options.buildTimeoutMs);

  afterAll(async () => {
    await rig?.stop();
    await shell?.stop();
  });

  describe(`the ${target} image under QEMU (TCG)`, () => {
    it('provisions itself at first boot, moving the keys off the boot partition', async () => {
      const done = await guest.waitFor(/EDGE-PROVISIONED car=(\S+) nuc=(\S+)/, 'first-boot provisioning', options.bootTimeoutMs);
      expect(done[1]).toBe(CAR);
      expect(done[2]).toBe('10.0.2.2');
      await guest.waitFor(/EDGE-DATA-GROWN \S+ (\d+) MiB/, 'the data partition grown to the end of the disk', 60_000);
      expect(guest.console()).not.toMatch(/EDGE-PROVISION-FAILED/);
    }, options.bootTimeoutMs + 60_000);

    it('pairs with the NUC: its camera frames arrive, each header the size of its JPEG', async () => {
      await guest.waitFor(/EDGE-CAR-READY/, 'the car services ready', options.bootTimeoutMs);
      await waitUntil(() => frames.length >= 5, 'five frames from the car at the NUC', options.bootTimeoutMs);
      step(`first frame ${((frames[0]!.at - guest.startedAt) / 1000).toFixed(0)} s after QEMU started`);
      for (const frame of frames.slice(0, 5)) {
        const jpeg = await sharp(frame.payload).metadata();
        expect(jpeg.format).toBe('jpeg');
        expect([jpeg.width, jpeg.height]).toEqual([frame.width, frame.height]);
      }
    }, options.bootTimeoutMs + 60_000);

    // Debian's arm64 kernel has no i2c-stub: that guest has no PCA9685 to read back
    it.runIf(hasEmulatedPca9685(targetOf(target)))("moves the PCA9685's registers with a driver's control, and silence brings the throttle to neutral", async () => {
      const since = guest.mark();
      await waitUntil(async () => {
        await send({ angle: -0.8, throttle: 0.6 });
        const r = report(since);
        return r !== undefined && r.throttle > DEFAULT_NEUTRAL + 10;
      }, 'forward throttle in the registers', 60_000, 100);
      expect(report(since)!.steering).not.toBe(0);
      const quiet = guest.mark();
      await waitUntil(() => report(quiet)?.throttle === DEFAULT_NEUTRAL, 'neutral throttle after the driver went silent', 30_000);
    }, 120_000);

    it.runIf(options.reboot && hasEmulatedPca9685(targetOf(target)))('keeps the calibration, the estop latch and the keys across a reboot', () => withBusReport(rig, async () => {
      await calibrate(rig.platform.baseUrl, [{ action: 'enter' }, { action: 'save', steering: { leftCount: 460, rightCount: 290 }, throttle: { forwardCount: 500, stoppedCount: SAVED_NEUTRAL, reverseCount: 220 } }, { action: 'exit' }]);
      let since = guest.mark();
      await waitUntil(() => report(since)?.throttle === SAVED_NEUTRAL, 'the saved neutral in the registers', 30_000);
      await send({ estop: true });
      await send({ estop: true, throttle: 0.6 });
      since = guest.mark();
      // latched: a driver pressing the pedal moves nothing (the actuator's failsafe still writes the neutral)
      for (let i = 0; i < 10; i++) {
        await send({ estop: true, throttle: 0.6 });
        await guest.waitFor(/EDGE-TEST /, 'a register report', 30_000, guest.mark());
      }
      expect(report(since)?.throttle).toBe(SAVED_NEUTRAL);
      const rebootMark = guest.mark();
      step(`rebooting (${rig.frameCount()} frames so far)`);
      await guest.reboot();
      await guest.waitFor(/EDGE-PROVISION-KEPT/, 'the second boot keeping its configuration', options.bootTimeoutMs, rebootMark);
      // counted from here: the first boot's camera is long gone, so these frames come from the second
      const framesBefore = rig.frameCount();
      step(`second boot kept its configuration (${framesBefore} frames)`);
      await guest.waitFor(/EDGE-CAR-READY/, 'the car services ready again', options.bootTimeoutMs, rebootMark);
      await waitUntil(() => rig.frameCount() >= framesBefore + 3, 'frames again: the keys were kept', options.bootTimeoutMs);
      step(`frames from the second boot (${rig.frameCount()})`);
      since = guest.mark();
      for (let i = 0; i < 10; i++) {
        await send({ throttle: 0.6 });
        await guest.waitFor(/EDGE-TEST /, 'a register report', 30_000, guest.mark());
      }
      expect(report(since)?.throttle).toBe(SAVED_NEUTRAL); // calibration and latch both survived
      step('latched after the reboot; clearing the estop');
      since = guest.mark();
      await waitUntil(async () => {
        await send({ estop: false, throttle: 0.6 });
        return (report(since)?.throttle ?? 0) > SAVED_NEUTRAL + 10;
      }, 'throttle once the estop is cleared', 60_000, 100);
    }), options.bootTimeoutMs * 2 + 120_000);

    if (options.osUpdates) describeOsUpdates({ rig: () => rig, shell: () => shell!, bootTimeoutMs: options.bootTimeoutMs, cases: options.osUpdates });
  });
}

/** A line on the test's stderr: the reboot test takes minutes under TCG, and a stall should say where. */
function step(what: string): void {
  process.stderr.write(`[image test] ${new Date().toISOString()} ${what}\n`);
}

/** Runs `check`; a failure's message gains what the NUC's proxy counted for the test's keys. */
async function withBusReport(rig: ImageRig, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    if (error instanceof Error) error.message += `\n${await rig.busReport()}`;
    throw error;
  }
}

async function calibrate(baseUrl: string, bodies: object[]): Promise<void> {
  for (const body of bodies) {
    const response = await fetch(`${baseUrl}/api/cars/${CAR}/calibrate`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 202) throw new Error(`calibrate ${JSON.stringify(body)}: HTTP ${response.status} ${await response.text()}`);
  }
}
