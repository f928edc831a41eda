/**
 * The timing gate over the Linux kernel's own GPIO stack: Debian's kernel under QEMU with the GPIO
 * simulator (gpio-sim through configfs), the real timing service reading the line through the GPIO
 * character device (uAPI v2, its python helper) and publishing crossings on the NUC bus. One boot runs
 * guest/timing.ts, which moves the line through gpio-sim's sysfs pull and records; this file asserts.
 * Where QEMU, the kernel package or the module build cannot be had, every test here fails with the reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runTimingGuest, type TimingRun, type TimingScenario } from './timing-guest.ts';

// The bounce's flips are sysfs writes in a TCG guest: on a loaded host two of them can land 30 ms
// apart or more. A 120 ms debounce keeps them one burst however slow the guest; presses stay apart by
// more than it (a press's release, 60 ms in, still belongs to its burst).
const SCENARIO: TimingScenario = {
  line: 3,
  debounceMs: 120,
  maxPerMinute: 12,
  presses: { count: 4, holdMs: 60, gapMs: 400 },
  bounces: 4,
  storm: 20,
  periodic: { laps: 5, periodMs: 700 },
};

let run: TimingRun;

beforeAll(async () => {
  const { run: result, guest } = await runTimingGuest(SCENARIO, 560_000);
  console.info(`hil timing: ${guest.accel}, boot ${(guest.bootMs / 1000).toFixed(1)} s, scenario ${(guest.commandMs / 1000).toFixed(1)} s`);
  run = result;
}, 600_000);

describe('timing gate on the kernel GPIO stack (gpio-sim line through the GPIO character device)', () => {
  it('refuses to start on a line the chip does not have, naming the field and the reason', () => {
    expect(run.refusedStart.exitCode).not.toBe(0);
    expect(run.refusedStart.stderr).toMatch(/nuc\.timing\.gpio\.line/);
    expect(run.refusedStart.stderr).toMatch(/has no line 40 \(it has 8 lines/);
  });

  it('reports each press of the sensor as one crossing of the gate, stamped by the kernel when the line moved', () => {
    expect(run.presses.crossings).toHaveLength(SCENARIO.presses.count);
    run.presses.crossings.forEach(({ header }, i) => {
      expect(header).toMatchObject({ gate: 'hil', source: 'gpio' });
      // the pull written in sysfs moves the line inside the write: the stamp lies within it (1 ms of slack for the clocks' rounding)
      const write = run.presses.writes[i]!;
      expect(header.atMs).toBeGreaterThanOrEqual(write.before - 1);
      expect(header.atMs).toBeLessThanOrEqual(write.after + 1);
    });
  });

  it('names no car for a plain beam when no pose puts one at the line', () => {
    for (const { header } of run.presses.crossings) expect(header.car).toBeUndefined();
    expect(run.gauges.timing_gpio_unassigned_no_poses).toBeGreaterThanOrEqual(SCENARIO.presses.count);
  });

  it('makes one crossing of a bouncing contact', () => {
    // the flips that reached the service (the kernel may fold some together) made one crossing; the rest were bounces
    expect(run.bounce.crossings).toHaveLength(1);
    expect(run.bounce.edges).toBeGreaterThanOrEqual(2);
  });

  it('bounds a crossing storm at maxPerMinute, refusing and counting the rest', () => {
    expect(run.storm.refused).toBeGreaterThan(0);
    expect(run.storm.crossings).toBeLessThanOrEqual(SCENARIO.maxPerMinute - SCENARIO.presses.count - 1);
    // each storm press was held until the service had its edge: every one is a crossing or a refusal
    expect(run.storm.crossings + run.storm.refused).toBe(SCENARIO.storm);
  });

  it('times laps of a line crossed at a fixed period from the kernel stamps', () => {
    const { crossings, writes } = run.periodic;
    expect(crossings).toHaveLength(SCENARIO.periodic.laps + 1);
    for (let lap = 1; lap < crossings.length; lap++) {
      const measured = crossings[lap]!.header.atMs - crossings[lap - 1]!.header.atMs;
      const written = writes[lap]!.before - writes[lap - 1]!.before;
      // the lap time is the time between the line's moves, whatever the bus and the helper took
      expect(Math.abs(measured - written)).toBeLessThanOrEqual(writes[lap]!.after - writes[lap]!.before + writes[lap - 1]!.after - writes[lap - 1]!.before + 2);
    }
    expect(run.gauges.timing_gpio_edges_lost).toBe(0);
    expect(run.gauges.timing_gpio_helper_invalid).toBe(0);
  });
});
