/**
 * Race wheels over the Linux kernel's own HID stack: Debian's kernel under QEMU, uhid creating a
 * Logitech G29 (PS4 mode) and a Thrustmaster T150 with their real USB ids and report descriptors,
 * hid-generic and hidraw as on a NUC, the real node-hid addon, and the real wheel service
 * (`wheel.device: auto`). One boot runs guest/wheel.ts; this file asserts on what it saw.
 * Where QEMU or the kernel package cannot be had, every test here fails with the reason.
 */
import { Value } from '@sinclair/typebox/value';
import { beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../../nuc/wheel/bytes.ts';
import { ControlMapper } from '../../nuc/wheel/mapper.ts';
import { WheelMappingSchema, type WheelMappingConfig } from '../../runtime/index.ts';
import { findProfile } from '../../nuc/wheel/profiles/index.ts';
import type { WheelControl } from '../../nuc/wheel/types.ts';
import { bundleForGuest } from './bundle.ts';
import type { Control, WheelRun } from './guest/wheel.ts';
import { guestNode, runInGuest } from './launcher.ts';
import { HIL_WHEELS, type HilWheel } from './wheels.ts';

let runs: WheelRun[];

beforeAll(async () => {
  const bundle = await bundleForGuest({ 'wheel-guest': 'test/hil/guest/wheel.ts' });
  try {
    const guest = await runInGuest({
      command: guestNode(bundle.file('wheel-guest')),
      modules: [{ name: 'uhid' }, { name: 'hid_generic' }],
      // each unplugged uhid device may leave a read parked in the thread pool until it sees STOP
      env: { HIL_WHEELS: JSON.stringify(HIL_WHEELS), UV_THREADPOOL_SIZE: '16' },
    });
    console.info(`hil wheel: ${guest.accel}, boot ${(guest.bootMs / 1000).toFixed(1)} s, scenario ${(guest.commandMs / 1000).toFixed(1)} s`);
    if (guest.exitCode !== 0) throw new Error(`the guest scenario exited with ${guest.exitCode}:\n${guest.stderr.slice(-6000)}`);
    runs = JSON.parse(guest.stdout) as WheelRun[];
  } finally {
    bundle.remove();
  }
}, 300_000);

/** What the service should have published, from the same profile and mapping run here, without a kernel. */
function expectedRuns(): Map<string, { controls: WheelControl[]; unplugged: WheelControl; replugged: WheelControl }> {
  const mapper = new ControlMapper(Value.Default(WheelMappingSchema, {}) as WheelMappingConfig);
  const out = new Map<string, { controls: WheelControl[]; unplugged: WheelControl; replugged: WheelControl }>();
  for (const wheel of HIL_WHEELS) {
    const profile = findProfile(wheel.vendorId, wheel.productId)!;
    const map = (hex: string): WheelControl => {
      const parsed = profile.parse(hexToBytes(hex));
      if (parsed.kind !== 'state') throw new Error(`${wheel.id}: ${hex} is not a state report`);
      return mapper.mapReport(parsed.report, profile.id);
    };
    const controls = wheel.reports.filter((r) => r.state).map((r) => map(r.hex));
    const unplugged = mapper.neutral();
    const replugged = map(wheel.reports[0]!.hex);
    mapper.neutral();
    out.set(wheel.id, { controls, unplugged, replugged });
  }
  return out;
}

function expectControl(actual: Control, expected: WheelControl, what: string): void {
  expect(actual.angle, `${what}: angle`).toBeCloseTo(expected.angle, 9);
  expect(actual.throttle, `${what}: throttle`).toBeCloseTo(expected.throttle, 9);
  expect(actual.input, `${what}: input`).toBe(expected.input);
  // mode, recording and estop go out only when they change
  if (actual.mode !== undefined) expect(actual.mode, `${what}: mode`).toBe(expected.mode);
}

const runOf = (id: string): WheelRun => {
  const run = runs.find((r) => r.wheel === id);
  if (!run) throw new Error(`no run for ${id}`);
  return run;
};
const wheelOf = (id: string): HilWheel => HIL_WHEELS.find((w) => w.id === id)!;
/** The README's mapping: full lock at 1/8 of the half range. */
const angleFor = (raw16: number): number => Math.max(-1, Math.min(1, ((raw16 - 32768) / 32768) * 8));

describe.each(HIL_WHEELS.map((w) => [w.id, w.name] as const))('%s (%s) through uhid, hidraw and node-hid', (id) => {
  it('is found by wheel.device auto and opened by the service', () => {
    expect(runOf(id).opened).toBe(true);
  });

  it('reaches node-hid exactly as the device sent it: report id first, no byte added or dropped', () => {
    expect(runOf(id).raw).toEqual(wheelOf(id).reports.filter((r) => r.delivered !== false).map((r) => r.hex));
  });

  it('is listed by node-hid with its ids and the joystick or gamepad usage from its descriptor', () => {
    const { info } = runOf(id);
    console.info(`hil wheel ${id}: node-hid lists ${JSON.stringify(info)}; a reader whose device was destroyed saw ${runOf(id).readerOnUnplug}`);
    expect(info.usagePage).toBe(1);
    expect([4, 5]).toContain(info.usage);
  });

  it("makes node-hid emit 'error' with a plain string when the device vanishes mid-read (the handle wraps it)", () => {
    expect(runOf(id).readerOnUnplug).toMatch(/^string: could not read/);
  });

  it('publishes one control per state report, equal to the profile and mapping, and none for the others', () => {
    const expected = expectedRuns().get(id)!;
    const { controls } = runOf(id);
    expect(controls).toHaveLength(expected.controls.length);
    controls.forEach((control, i) => expectControl(control, expected.controls[i]!, `${id} report ${i}`));
  });

  it('is seen unplugged (one control with no throttle) and plugged in again, without a restart', () => {
    const run = runOf(id);
    const expected = expectedRuns().get(id)!;
    expectControl(run.unplugged, expected.unplugged, 'unplugged');
    expect(run.unplugged).toMatchObject({ throttle: 0, input: 'none' });
    expectControl(run.replugged, expected.replugged, 're-plugged');
    expect(run.unpluggedAgain).toMatchObject({ throttle: 0, input: 'none' });
  });
});

describe('the fixture values through the whole path', () => {
  it('G29: the captured idle steering 0x7de2 and the pedals and buttons built on its layout', () => {
    const [idle, left, right, north, brake] = runOf('g29-ps4').controls;
    expect(idle!.angle).toBeCloseTo(angleFor(0x7de2), 9);
    expect(idle!.throttle).toBe(0);
    expect(left!.angle).toBe(-1); // 0x4000 is far past 1/8 of the half range
    expect(right).toMatchObject({ angle: 1 });
    expect(right!.throttle).toBeGreaterThan(0);
    expect(north!.mode).toBe('local_angle');
    expect(brake!.throttle).toBeLessThan(0);
  });

  it('T150: the captured steering 0x7e73, 0x85d6 and 0x60f7 and released pedals; the 0x14 replies are skipped and counted', () => {
    const run = runOf('t150');
    const [idle, slightlyLeft, right, farLeft, gas] = run.controls;
    expect(idle).toMatchObject({ angle: 0, throttle: 0, input: 't150' });
    expect(slightlyLeft!.angle).toBeCloseTo(angleFor(0x7e73), 9);
    expect(right!.angle).toBeCloseTo(angleFor(0x85d6), 9);
    expect(farLeft!.angle).toBe(-1);
    expect(gas!.throttle).toBeCloseTo(0.5, 9); // full pedal, capped at topSpeed 40 / 80
    expect(run.gauges.wheel_reports_ignored).toBeGreaterThanOrEqual(2);
  });

  it('T150: a report id the descriptor does not declare never reaches hidraw', () => {
    const undeclared = wheelOf('t150').reports.find((r) => r.delivered === false)!;
    expect(runOf('t150').raw).not.toContain(undeclared.hex);
  });

  it('counts every unplug as a disconnect', () => {
    expect(runOf('g29-ps4').gauges.wheel_disconnects).toBe(2);
    expect(runOf('t150').gauges.wheel_disconnects).toBe(4);
  });
});
