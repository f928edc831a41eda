/**
 * Seeded fuzzing of the HID report parsers: 12,000 random reports per profile (random bytes of random
 * length, half-zero reports with a likely report id, and mutations of reports that parsed), straight into each
 * profile's parser and through WheelInput as a device would deliver them. Nothing may throw; every
 * report is either a state with in-range axes or ignored under a known reason, and counted.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom, type GenericCalibration } from '../../runtime/index.ts';
import { FakeHidBackend } from '../../test/support/fake-hid.ts';
import { createGenericProfile } from './calibration.ts';
import type { HidDeviceInfo } from './hid-backend.ts';
import { ControlMapper } from './mapper.ts';
import { DEFAULT_WHEEL_MAPPING } from './mapping.ts';
import { WHEEL_PROFILES, type WheelProfile } from './profiles/index.ts';
import type { AxisSample, IgnoreReason, ParseResult, WheelControl } from './types.ts';
import { WheelInput } from './wheel-input.ts';

const REPORTS_PER_PROFILE = 12_000;
const REASONS: readonly IgnoreReason[] = ['short', 'non-state', 'garbled'];
/** report ids the supported wheels use, so random reports reach past the id check often */
const LIKELY_IDS = [0x00, 0x01, 0x07, 0x11];

const GENERIC: GenericCalibration = {
  vendorId: 0x1234,
  productId: 0x5678,
  reportLength: 16,
  reportId: 0x01,
  steering: { offset: 1, size: 16, left: 100, center: 32768, right: 65000 },
  throttle: { offset: 3, size: 8, released: 0, pressed: 255 },
  brake: { offset: 4, size: 8, released: 255, pressed: 10 },
  buttons: [
    { bit: 40, rest: false },
    { bit: 41, rest: true },
    { bit: 127, rest: false },
  ],
};

const PROFILES: readonly WheelProfile[] = [...WHEEL_PROFILES, createGenericProfile(GENERIC)];

function reportsFor(profile: WheelProfile, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const valid: Uint8Array[] = [];
  const reports: Uint8Array[] = [];
  for (let i = 0; i < REPORTS_PER_PROFILE; i++) {
    const kind = int(3);
    let report: Uint8Array;
    if (kind === 0 || (kind === 2 && valid.length === 0)) {
      report = Uint8Array.from({ length: int(129) }, () => int(256));
    } else if (kind === 1) {
      // half the bytes zero: pedal high bytes and hat nibbles are then often in range
      report = Uint8Array.from({ length: 8 + int(73) }, () => (random() < 0.5 ? 0 : int(256)));
      report[0] = LIKELY_IDS[int(LIKELY_IDS.length)]!;
    } else {
      const base = valid[int(valid.length)]!;
      // flip a few bytes, or cut it short, or make it longer
      const cut = int(8) === 0 ? int(base.length) : base.length + (int(8) === 0 ? int(16) : 0);
      report = new Uint8Array(cut);
      report.set(base.subarray(0, Math.min(cut, base.length)));
      for (let flips = 1 + int(4); flips > 0 && report.length > 0; flips--) report[int(report.length)] = int(256);
    }
    reports.push(report);
    if (profile.parse(report).kind === 'state') valid.push(report);
  }
  return reports;
}

/** What is wrong with an axis, if anything (checked by hand: 100,000 expect() calls would be the test's whole cost). */
function axisProblem(axis: AxisSample, what: string): string | undefined {
  if (!Number.isInteger(axis.bits) || axis.bits < 1 || axis.bits > 16) return `${what} has ${axis.bits} bits`;
  if (!Number.isInteger(axis.value) || axis.value < 0 || axis.value >= 2 ** axis.bits) return `${what} value ${axis.value} out of ${axis.bits} bits`;
  return undefined;
}

/** The outcome a result counts under, or a problem with it. */
function classify(result: ParseResult): { outcome: 'state' | IgnoreReason } | { problem: string } {
  if (result.kind === 'ignored') {
    if (!REASONS.includes(result.reason)) return { problem: `unknown reason ${String(result.reason)}` };
    if (typeof result.detail !== 'string' || result.detail.length === 0) return { problem: 'ignored without a detail' };
    return { outcome: result.reason };
  }
  const { report } = result;
  const problem =
    axisProblem(report.steering, 'steering') ??
    axisProblem(report.throttle, 'throttle') ??
    axisProblem(report.brake, 'brake') ??
    (report.clutch ? axisProblem(report.clutch, 'clutch') : undefined) ??
    ([...report.buttons].some((name) => typeof name !== 'string' || name.length === 0) ? 'a button without a name' : undefined);
  return problem ? { problem } : { outcome: 'state' };
}

describe('HID report parsers under fuzzing (seeded)', () => {
  it.each(PROFILES.map((p, i) => [p.id, p, i] as const))('%s: never throws, every report is a valid state or ignored by reason', async (_id, profile, index) => {
    const reports = reportsFor(profile, 1000 + index);
    const outcomes = new Map<string, number>();
    for (const report of reports) {
      let result: ParseResult;
      try {
        result = profile.parse(report);
      } catch (error) {
        throw new Error(`${profile.id} threw on ${Buffer.from(report).toString('hex')}: ${(error as Error).message}`);
      }
      const verdict = classify(result);
      if ('problem' in verdict) throw new Error(`${profile.id} on ${Buffer.from(report).toString('hex')}: ${verdict.problem}`);
      outcomes.set(verdict.outcome, (outcomes.get(verdict.outcome) ?? 0) + 1);
    }
    // the fuzz reaches the state path, not only the early refusals
    expect(outcomes.get('state') ?? 0, JSON.stringify([...outcomes])).toBeGreaterThan(REPORTS_PER_PROFILE / 100);

    // the same reports as the device delivers them: counted one by one, controls always in range
    const device: HidDeviceInfo = { vendorId: profile.vendorId, productId: profile.productIds[0]!, path: `/dev/hidraw-${profile.id}`, usagePage: 1, usage: 4 };
    const backend = new FakeHidBackend([device]);
    const controls: WheelControl[] = [];
    const input = new WheelInput({
      backend,
      device: 'auto',
      mapper: new ControlMapper({ ...DEFAULT_WHEEL_MAPPING }),
      onControl: (control) => controls.push(control),
      timers: { setInterval: () => undefined, clearInterval: () => undefined },
      ...(profile.id === 'generic' ? { calibration: GENERIC } : {}),
    });
    await input.start();
    expect(input.status).toMatchObject({ state: 'connected', profile: profile.id });
    const before = controls.length;
    expect(reports.every((report) => backend.send(device.path, report))).toBe(true);
    const counted = input.counters.snapshot();
    expect(counted.parsed + counted.ignored).toBe(REPORTS_PER_PROFILE);
    expect(counted.parsed).toBe(outcomes.get('state') ?? 0);
    for (const reason of REASONS) expect(counted.ignoredBy[reason]).toBe(outcomes.get(reason) ?? 0);
    expect(controls.length - before).toBe(counted.parsed);
    const outOfRange = controls.filter((c) => !(Math.abs(c.angle) <= 1 && Math.abs(c.throttle) <= 1));
    expect(outOfRange).toEqual([]);
    await input.stop();
  });
});
