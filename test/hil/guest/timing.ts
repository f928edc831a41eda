/**
 * Inside the guest (run by ../timing.test.ts and the `timing` benchmark): the real timing service
 * (`nuc.timing.gpio`, its helper on the GPIO character device) against a line of the kernel's GPIO
 * simulator. This script makes a gpio-sim chip through configfs, serves the NUC bus (the proxy's own
 * code), and moves the line the way a sensor would, by writing its simulated pull in sysfs
 * (`sim_gpioN/pull`: pull-down is the beam broken, as the service's active-low line sees it). It
 * records when each write happened (this clock is the one the kernel stamps with), the crossings the
 * service published and when they arrived, and the service's counters. It only observes; the caller
 * asserts. Prints one JSON document.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusSubscriber, nucTopic, startProxy, tcpEndpoint, type BusMessage, type HeaderOf } from '../../../protocol/index.ts';
import { guestPlatform, nextMatching } from './services.ts';

export interface TimingScenario {
  line: number;
  debounceMs: number;
  maxPerMinute: number;
  /** single clean presses: hold, then a quiet gap */
  presses: { count: number; holdMs: number; gapMs: number };
  /** one press that bounces this many times before it holds */
  bounces: number;
  /** presses as fast as the debounce lets through, to run into maxPerMinute */
  storm: number;
  /** a lap line crossed every periodMs, laps+1 crossings */
  periodic: { laps: number; periodMs: number };
}

export interface Write {
  /** wall clock (ms, sub-ms) just before and after the sysfs write */
  before: number;
  after: number;
}

export interface Seen {
  header: HeaderOf<'crossing'>;
  /** wall clock when this script received it */
  receivedAt: number;
}

export interface TimingRun {
  chip: string;
  presses: { writes: Write[]; crossings: Seen[] };
  /** edges: what reached the service of the flips */
  bounce: { crossings: Seen[]; edges: number; bouncesCounted: number };
  storm: { presses: number; crossings: number; refused: number };
  periodic: { writes: Write[]; crossings: Seen[] };
  /** the service started on a line the chip does not have */
  refusedStart: { exitCode: number | null; stderr: string };
  gauges: Record<string, number>;
}

const PORTS = { publishers: 5560, subscribers: 5559 };
const CONFIGFS = '/sys/kernel/config';
const scenario = JSON.parse(process.env.HIL_SCENARIO ?? '') as TimingScenario;
/**
 * The wall clock with sub-millisecond resolution, as the kernel stamps events (CLOCK_REALTIME): the
 * monotonic clock plus the realtime offset, taken as the largest Date.now() − performance.now() over
 * 50 ms of samples (Date.now() floors, so the largest is the closest; performance.timeOrigin was off
 * by 15-20 ms here).
 */
function realtimeOffset(): number {
  let best = -Infinity;
  for (const end = performance.now() + 50; performance.now() < end; ) best = Math.max(best, Date.now() - performance.now());
  return best;
}
const offset = realtimeOffset();
const now = (): number => performance.now() + offset;
/** Progress on the serial console too: a guest that times out shows where it stood. */
const phase = (name: string): void => {
  process.stderr.write(`timing guest: ${name}\n`);
  try {
    fs.appendFileSync('/dev/console', `timing guest: ${name} ${new Date().toISOString()}\n`);
  } catch {
    // no console: stderr has it
  }
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

// a simulated chip of 8 lines (configfs: Documentation/admin-guide/gpio/gpio-sim.rst)
if (!fs.existsSync(path.join(CONFIGFS, 'gpio-sim'))) await run('mount', ['-t', 'configfs', 'none', CONFIGFS]);
const device = path.join(CONFIGFS, 'gpio-sim', 'timing');
fs.mkdirSync(path.join(device, 'bank0'), { recursive: true });
fs.writeFileSync(path.join(device, 'bank0', 'num_lines'), '8');
fs.writeFileSync(path.join(device, 'live'), '1');
const chip = fs.readFileSync(path.join(device, 'bank0', 'chip_name'), 'utf8').trim();
const devName = fs.readFileSync(path.join(device, 'dev_name'), 'utf8').trim();
const pullFile = `/sys/devices/platform/${devName}/${chip}/sim_gpio${scenario.line}/pull`;

/** Moves the line: broken beam (active, low) or clear (inactive, pulled up); returns when the write happened. */
function beam(broken: boolean): Write {
  const before = now();
  fs.writeFileSync(pullFile, broken ? 'pull-down' : 'pull-up');
  return { before, after: now() };
}

const proxy = await startProxy({ publishersEndpoint: tcpEndpoint('127.0.0.1', PORTS.publishers), subscribersEndpoint: tcpEndpoint('127.0.0.1', PORTS.subscribers) });
const subscriber = BusSubscriber.connect(tcpEndpoint('127.0.0.1', PORTS.subscribers), { topics: [nucTopic('timing', 'crossing'), nucTopic('timing', 'metrics')] });
const crossings: Seen[] = [];
const listeners = new Set<(message: BusMessage) => void>();
subscriber.on((message) => {
  if (message.kind === 'crossing') crossings.push({ header: message.header, receivedAt: now() });
  for (const listener of listeners) listener(message);
});
const nextGauges = (pick: (gauges: Record<string, number>) => boolean): Promise<Record<string, number>> =>
  nextMatching<BusMessage, Record<string, number>>(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    (m) => (m.kind === 'metrics' && m.header.gauges && pick(m.header.gauges) ? m.header.gauges : undefined),
  );
/** Waits until two reports in a row show the same edge count: every edge made so far has been read. */
async function edgesSettled(): Promise<Record<string, number>> {
  for (let last = -1; ; ) {
    const gauges = await nextGauges(() => true);
    if (gauges.timing_gpio_edges === last) return gauges;
    last = gauges.timing_gpio_edges ?? -1;
  }
}
/** Waits until `count` crossings have arrived in all (a condition, not a clock). */
async function crossingsReach(count: number): Promise<void> {
  while (crossings.length < count) await sleep(5);
}

const timingConfig = (line: number) => ({
  bus: { security: 'none', metricsIntervalMs: 100 },
  nuc: {
    busPublishersPort: PORTS.publishers,
    busSubscribersPort: PORTS.subscribers,
    timing: { gate: 'hil', sim: false, gpio: { enabled: true, chip, line, active: 'low', bias: 'pull-up', debounceMs: scenario.debounceMs, maxPerMinute: scenario.maxPerMinute } },
  },
});

phase('refused start');
// a line the chip does not have: start-up is refused, naming the field
const refusedStart = await new Promise<TimingRun['refusedStart']>((resolve) => {
  const bad = guestPlatform(timingConfig(40));
  const child = spawn(process.execPath, [fileURLToPath(new URL('./run-service.mjs', import.meta.url)), 'nuc', 'timing'], { env: bad.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.once('exit', (exitCode) => resolve({ exitCode, stderr: stderr.slice(-4000) }));
});

phase('service');
const platform = guestPlatform(timingConfig(scenario.line));
const firstMetrics = nextGauges((gauges) => gauges.timing_gpio_open === 1);

phase('presses');
// clean presses: the beam stays broken until the crossing is out (the kernel reads the level when it
// reports a both-edges event, so a release before that would be reported as a second falling edge)
await platform.start('nuc', 'timing');
await firstMetrics;
const pressWrites: Write[] = [];
for (let i = 0; i < scenario.presses.count; i++) {
  pressWrites.push(beam(true));
  await crossingsReach(i + 1);
  await sleep(scenario.presses.holdMs);
  beam(false);
  await sleep(scenario.presses.gapMs);
}
const presses = { writes: pressWrites, crossings: crossings.slice(0, scenario.presses.count) };

phase('bounce');
// a bouncing contact: the line flips back and forth as fast as sysfs takes it, then holds. (The kernel
// may fold flips its interrupt thread had not yet seen into one event: how many bounces arrive varies.)
const beforeBounce = crossings.length;
const bounceBase = await edgesSettled();
for (let i = 0; i < scenario.bounces; i++) {
  beam(true);
  beam(false);
}
beam(true);
await crossingsReach(beforeBounce + 1);
await sleep(scenario.presses.holdMs);
beam(false);
await sleep(scenario.presses.gapMs);
const bounceGauges = await edgesSettled();
const bounce = {
  crossings: crossings.slice(beforeBounce),
  edges: bounceGauges.timing_gpio_edges! - (bounceBase.timing_gpio_edges ?? 0),
  bouncesCounted: bounceGauges.timing_gpio_bounces! - (bounceBase.timing_gpio_bounces ?? 0),
};

phase('laps');
// the lap line crossed at an exact period (a drift-free schedule); each crossing is held until it is out
const beforeLaps = crossings.length;
const lapWrites: Write[] = [];
const start = now() + 200;
let released = -Infinity;
for (let lap = 0; lap <= scenario.periodic.laps; lap++) {
  // on time, unless the last crossing came out so late (a loaded guest) that the line has not yet been
  // quiet for the debounce: then this press is late, and its write time says by how much
  const due = Math.max(start + lap * scenario.periodic.periodMs, released + 2 * scenario.debounceMs);
  await sleep(due - now() - 2);
  while (now() < due) {
    // the last two milliseconds spin: a timer alone wakes late by more than that
  }
  lapWrites.push(beam(true));
  await crossingsReach(beforeLaps + lap + 1);
  released = beam(false).after;
}
const periodic = { writes: lapWrites, crossings: crossings.slice(beforeLaps) };
await sleep(scenario.debounceMs * 2);

phase('storm');
// a storm: presses just slower than the debounce, more than maxPerMinute allows; each press holds until
// the service has counted its edge (refused crossings send nothing on the bus)
const beforeStorm = crossings.length;
const stormBase = await edgesSettled();
let edges = stormBase.timing_gpio_edges ?? 0;
for (let i = 0; i < scenario.storm; i++) {
  for (const broken of [true, false]) {
    beam(broken);
    edges = (await nextGauges((gauges) => (gauges.timing_gpio_edges ?? 0) > edges)).timing_gpio_edges!;
  }
  await sleep(scenario.debounceMs * 2);
}
const afterStorm = await nextGauges(() => true);
const storm = {
  presses: scenario.storm,
  crossings: crossings.length - beforeStorm,
  refused: afterStorm.timing_gpio_storm_refused! - (stormBase.timing_gpio_storm_refused ?? 0),
};

const gauges = await nextGauges(() => true);

await platform.stopAll();
await subscriber.close();
await proxy.close();
const result: TimingRun = { chip, presses, bounce, storm, periodic, refusedStart, gauges };
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
