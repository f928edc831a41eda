/**
 * `timing` (the gate's part): a GPIO line of the kernel's GPIO simulator in the QEMU guest (test/hil),
 * read by the real timing service. EMULATED: the guest runs under QEMU (TCG unless KVM really works),
 * so latencies are the emulator's, not a Pi's.
 *
 *   timing_crossing_latency_ms  p99, the line's edge (kernel stamp) → the crossing received on the bus
 *   timing_jitter_ms            spread (max − min) of the lap times measured from a line crossed every
 *                               second on a drift-free schedule
 *   timing_lap_error_ms         the largest difference between a measured lap and the time between the
 *                               starts of the two writes that moved the line
 *   timing_gate_jitter_ms       spread of those differences: the jitter the gate adds, whatever the
 *                               guest's toggling did
 *   timing_stamp_outside_write_ms  how far a stamp fell outside the sysfs write that moved the line (0: inside)
 *   timing_toggle_jitter_ms     spread of those write intervals: how exactly the guest could toggle
 *   timing_stamp_offset_ms      p99, the write's start → the kernel's stamp
 *
 * (`timing_overlay_update_ms`, crossing → overlay redraw, belongs to the race pages' benchmark.)
 */
import { runTimingGuest } from '../hil/timing-guest.ts';
import type { Benchmark, Metric } from './types.ts';

const LAPS = 20;
const PERIOD_MS = 1000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);
const round = (value: number): number => Math.round(value * 1000) / 1000;

const bench: Benchmark = {
  name: 'timing',
  description: 'timing gate: GPIO edge → crossing latency and lap-time jitter, gpio-sim line in the QEMU guest (emulated)',
  async run(): Promise<Metric[]> {
    const { run, guest } = await runTimingGuest(
      {
        line: 5,
        debounceMs: 30,
        maxPerMinute: 600,
        presses: { count: 10, holdMs: 30, gapMs: 100 },
        bounces: 2,
        storm: 2,
        periodic: { laps: LAPS, periodMs: PERIOD_MS },
      },
      400_000,
    );
    const seen = [...run.presses.crossings, ...run.periodic.crossings];
    const latencies = seen.map((c) => c.receivedAt - c.header.atMs);
    const stamps = run.periodic.crossings.map((c) => c.header.atMs);
    const writes = run.periodic.writes;
    const laps = stamps.slice(1).map((at, i) => at - stamps[i]!);
    const written = writes.slice(1).map((w, i) => w.before - writes[i]!.before);
    const offsets = [...run.presses.crossings.map((c, i) => c.header.atMs - run.presses.writes[i]!.before), ...stamps.map((at, i) => at - writes[i]!.before)];
    const allStamped = [...run.presses.crossings.map((c, i) => ({ at: c.header.atMs, write: run.presses.writes[i]! })), ...stamps.map((at, i) => ({ at, write: writes[i]! }))];
    const metric = (name: string, value: number, unit = 'ms'): Metric => ({ bench: 'timing', metric: name, value: round(value), unit });
    return [
      metric('timing_crossing_latency_ms', percentile(latencies, 99)),
      metric('timing_crossing_latency_p50_ms', percentile(latencies, 50)),
      metric('timing_jitter_ms', spread(laps)),
      metric('timing_lap_error_ms', Math.max(...laps.map((lap, i) => Math.abs(lap - written[i]!)))),
      metric('timing_gate_jitter_ms', spread(laps.map((lap, i) => lap - written[i]!))),
      metric('timing_stamp_outside_write_ms', Math.max(0, ...allStamped.map(({ at, write }) => Math.max(write.before - at, at - write.after)))),
      metric('timing_toggle_jitter_ms', spread(written)),
      metric('timing_stamp_offset_ms', percentile(offsets, 99)),
      metric('timing_guest_accel_kvm', guest.accel === 'kvm' ? 1 : 0, 'bool'),
    ];
  },
};

export default bench;
