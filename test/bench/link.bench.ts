/**
 * `link`: the car and the NUC on two hosts (network namespaces, test/support/track) over "track
 * Wi-Fi" (30 ms RTT ± 10 ms, 2 % loss, 1 % reordering), one platform start.
 *
 * - `link_video_fps`, `link_video_p95_ms`: the driver's video (capture on the car → the driver's
 *   socket.io client on the NUC's LAN) over 10 s while steering.
 * - `link_control_p99_ms`: a wheel command (the driver's input) → the PCA9685 (the actuator's
 *   `applied`), 200 distinct commands at 20 Hz in user mode.
 * - `link_control_lanes`, `link_control_lane_bytes_per_s`: the car's TCP connections to the NUC's
 *   subscriber side (the main one and the control-only lanes, `car.uplink.controlLanes`), and what
 *   one control-only lane costs on the wire during that sweep, both ways (TCP payload plus 52 bytes of
 *   IP and TCP header a segment, ACKs included; the Wi-Fi's own framing not counted).
 * - `link_control_held_back_pct`: of the commands in that sweep, the percent whose copy on the main
 *   connection came 40 ms or more after the first copy: what control on one connection would have
 *   cost, measured in the same run (the uplink's `control_lane_0_held_back`). With
 *   `LINK_CONTROL_LANES=1` in the environment the car runs one connection, for comparison.
 * - `link_resume_s`: after a 10 s silent partition, heal → the first newly captured frame at the driver.
 * - `link_ota_resume_bytes`, `link_ota_size_bytes`: the bytes the agent fetched for a release
 *   (a pilot with 4 MiB of padding, NUC → car at 8 Mbit/s) whose download a 5 s partition cut,
 *   and that release's size.
 * - `fault_pilot_restart_drive_s`: kill -9 of the pilot while the car drives (local mode) → the
 *   first drive command of its replacement the actuator applies.
 * - `fault_agent_kill_missed_loops`: drive loops the actuator missed from a kill -9 of the agent
 *   mid-drive until 2 s after its replacement is up: applications that were no pilot command
 *   (failsafe, idle) plus drive periods with no command applied at all. The same count over as
 *   long a window before the kill is `fault_agent_kill_baseline_missed_loops`: what the machine's
 *   own pauses cost, not the agent.
 */
import { DEFAULT_PORTS } from '../../protocol/index.ts';
import { sleep, waitFor } from '../support/net.ts';
import { connectDriver } from '../support/track/driver-client.ts';
import { cutDownload, percentile, setMode, steeringSweep } from '../support/track/link-checks.ts';
import { TRACK_WIFI } from '../support/track/link-profile.ts';
import { startTrackPlatform, type TrackPlatform } from '../support/track/track-platform.ts';
import { twoHostsUnavailable, type CarConnection } from '../support/track/two-hosts.ts';
import type { Benchmark, Metric } from './types.ts';

const TOKEN = 'link-benchmark-token';
const DRIVE_PERIOD_MS = 50; // car.drive.rateHz 20

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Drive loops without a pilot command applied in [from, to). */
function missedLoops(track: TrackPlatform, from: number, to: number): number {
  const inWindow = track.car.heard('applied').filter((a) => a.at >= from && a.at < to);
  const notCommands = inWindow.filter((a) => a.header.reason !== 'command').length;
  const commandTimes = [from, ...inWindow.filter((a) => a.header.reason === 'command').map((a) => a.at), to];
  let gaps = 0;
  for (let i = 1; i < commandTimes.length; i++) gaps += Math.max(0, Math.floor((commandTimes[i]! - commandTimes[i - 1]!) / DRIVE_PERIOD_MS) - 1);
  return notCommands + gaps;
}

async function pilotRestart(track: TrackPlatform): Promise<number> {
  const pid = track.car.pids.get('pilot')!;
  const drives = () => track.car.heard('drive');
  const before = drives().at(-1)!.header;
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  const accepted = await waitFor(
    () => {
      const fresh = new Set(drives().filter((d) => d.at >= killedAt && d.header.instance !== before.instance).map((d) => d.header.seq));
      if (fresh.size === 0) return undefined;
      return track.car.heard('applied').find((a) => a.at >= killedAt && a.header.reason === 'command' && a.header.driveSeq !== undefined && fresh.has(a.header.driveSeq));
    },
    "the actuator applying the restarted pilot's commands",
    60_000,
    10,
  );
  return (accepted.at - killedAt) / 1000;
}

async function agentKill(track: TrackPlatform): Promise<{ missed: number; baseline: number }> {
  const agent = track.car.pids.get('agent')!;
  const killedAt = Date.now();
  process.kill(agent, 'SIGKILL');
  await waitFor(() => (track.car.pids.get('agent') ?? agent) !== agent || undefined, 'a new agent on the bus', 60_000, 20);
  await sleep(2000); // the window the count covers, past the new agent's adoption
  const to = Date.now();
  return { missed: missedLoops(track, killedAt, to), baseline: missedLoops(track, killedAt - (to - killedAt), killedAt) };
}

/** IPv4 (20) and TCP with timestamps (32) headers of one segment */
const SEGMENT_HEADER_BYTES = 52;

/** Wire bytes per second of each connection between two `ss` readings, busiest first. */
function laneRates(before: CarConnection[], after: CarConnection[], seconds: number): number[] {
  return after
    .flatMap((a) => {
      const b = before.find((c) => c.port === a.port);
      if (!b) return [];
      const bytes = a.bytesReceived - b.bytesReceived + (a.bytesAcked - b.bytesAcked) + (a.segmentsIn - b.segmentsIn + a.segmentsOut - b.segmentsOut) * SEGMENT_HEADER_BYTES;
      return [bytes / seconds];
    })
    .sort((x, y) => y - x);
}

const bench: Benchmark = {
  name: 'link',
  description: 'two hosts over track Wi-Fi: video, control latency, resuming after a partition, a cut OTA download, pilot and agent faults',
  async run(): Promise<Metric[]> {
    const unavailable = twoHostsUnavailable();
    if (unavailable) throw new Error(`link benchmark: ${unavailable}`);
    // LINK_CONTROL_LANES=1 measures control on the main connection alone, for comparison
    const lanes = process.env.LINK_CONTROL_LANES ? Number(process.env.LINK_CONTROL_LANES) : undefined;
    const track = await startTrackPlatform({ profile: TRACK_WIFI, token: TOKEN, config: { car: { agent: { pollMs: 300 }, ...(lanes !== undefined ? { uplink: { controlLanes: lanes } } : {}) } } });
    const driver = await connectDriver(track.baseUrl, '1', TOKEN);
    try {
      await waitFor(() => driver.frames.length >= 30 || undefined, 'video at the driver', 60_000, 100);
      await setMode(track, driver, 'user');
      const uplinkGauge = (name: string): number => track.car.heard('metrics').filter((m) => m.header.service === 'uplink').at(-1)?.header.gauges?.[name] ?? 0;
      const heldBefore = { main: uplinkGauge('control_lane_0_held_back'), forwarded: uplinkGauge('control_lane_forwarded') };
      const lanesBefore = track.hosts.carConnectionsTo(DEFAULT_PORTS.subscribers);
      const sweepFrom = Date.now();
      const sweep = await steeringSweep(track, driver, 200);
      // the busiest connection is the main subscription (poses, resets, releases too); the others carry only control
      const controlOnly = laneRates(lanesBefore, track.hosts.carConnectionsTo(DEFAULT_PORTS.subscribers), (Date.now() - sweepFrom) / 1000).slice(1);
      const reportedAfter = Date.now();
      await waitFor(() => track.car.heard('metrics').some((m) => m.header.service === 'uplink' && m.at > reportedAfter) || undefined, "a fresh report of the uplink's", 15_000);
      const forwarded = uplinkGauge('control_lane_forwarded') - heldBefore.forwarded;
      const heldBackPct = forwarded > 0 ? (100 * (uplinkGauge('control_lane_0_held_back') - heldBefore.main)) / forwarded : 0;

      await track.hosts.partition();
      await sleep(10_000); // the partition is the scenario
      const healAt = Date.now();
      await track.hosts.heal();
      const frameAt = await waitFor(() => driver.frames.find((f) => f.at > healAt && f.frameTs > healAt)?.at, 'a new frame at the driver', 60_000, 5);

      // the faults, with the car driving itself
      await setMode(track, driver, 'local');
      await waitFor(() => track.car.heard('applied').some((a) => a.at > Date.now() - 200 && a.header.reason === 'command' && a.header.throttle > 0) || undefined, 'the pilot driving', 30_000);
      const pilotRestartS = await pilotRestart(track);
      await sleep(8000); // the replacement settles, and the next fault's baseline window is clear of this one
      const agentLoops = await agentKill(track);

      const cut = await cutDownload(track, { paddingBytes: 4 * 1024 * 1024, rateMbit: 8, partitionMs: 5000 });
      const metric = (name: string, value: number, unit: string): Metric => ({ bench: 'link', metric: name, value, unit });
      return [
        metric('link_video_fps', round(sweep.videoFps), 'frames/s'),
        metric('link_video_p95_ms', round(percentile(sweep.videoLatencies, 95)), 'ms'),
        metric('link_control_p99_ms', round(percentile(sweep.controlLatencies, 99)), 'ms'),
        metric('link_control_p50_ms', round(percentile(sweep.controlLatencies, 50)), 'ms'),
        metric('link_control_lanes', controlOnly.length + 1, 'connections'),
        ...(controlOnly.length > 0
          ? [
              metric('link_control_lane_bytes_per_s', Math.round(controlOnly.reduce((sum, r) => sum + r, 0) / controlOnly.length), 'bytes/s'),
              metric('link_control_held_back_pct', round(heldBackPct), '%'),
            ]
          : []),
        metric('link_resume_s', round((frameAt - healAt) / 1000, 2), 's'),
        metric('link_ota_resume_bytes', cut.fetchedBytes, 'bytes'),
        metric('link_ota_size_bytes', cut.sizeBytes, 'bytes'),
        metric('fault_pilot_restart_drive_s', round(pilotRestartS, 2), 's'),
        metric('fault_agent_kill_missed_loops', agentLoops.missed, 'loops'),
        metric('fault_agent_kill_baseline_missed_loops', agentLoops.baseline, 'loops'),
      ];
    } finally {
      driver.close();
      await track.stop();
    }
  },
};

export default bench;
