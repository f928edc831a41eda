/**
 * An OS update through the NUC to the image's guest, as an operator does it: `deploy publish os`, a
 * driver keeps the car moving while the agent downloads and installs, then lets it rest; the NUC's
 * `/api/fleet` is watched for the agent's outcomes and its `/metrics` for the actuator's longest gap
 * between two applies. Shared by the fault table's good case and the `os` benchmark.
 */
import { runCli as runDeployCli } from '../../../launcher/deploy-cli.ts';
import { CAR, waitUntil, type ImageRig } from './rig.ts';
import { testOsKeys } from './test-os-keys.ts';

export interface FleetCarSeen {
  car: string;
  os: string | null;
  osSlots: { booted: 'A' | 'B'; A: { state: string; version?: string }; B: { state: string; version?: string } } | null;
  osUpdate: { version: string; outcome: string; reason?: string; at: number; downloadedBytes?: number } | null;
}

export async function fleetCar(rig: ImageRig): Promise<FleetCarSeen | undefined> {
  const reply = (await (await fetch(`${rig.platform.baseUrl}/api/fleet`)).json()) as { cars: FleetCarSeen[] };
  return reply.cars.find((c) => c.car === CAR);
}

/** The actuator's `apply_gap_max_ms` as the NUC's /metrics shows it; undefined before its first report. */
export async function driveGapMs(rig: ImageRig): Promise<number | undefined> {
  const text = await (await fetch(`${rig.platform.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('edge_apply_gap_max_ms{') && l.includes(`id="${CAR}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

export interface OsUpdateRun {
  /** performance.now() of each moment */
  publishedAt: number;
  installingAt?: number;
  pendingAt?: number;
  /** when the driver stopped (the agent may reboot after osRestS at rest) */
  restingAt?: number;
  /** when the NUC first showed the car rebooting into it */
  rebootingAt?: number;
  endedAt: number;
  /** every outcome the NUC showed, in order */
  outcomes: string[];
  /** the actuator's apply_gap_max_ms, sampled while the OS downloaded and installed */
  gapSamples: number[];
  /** the last /api/fleet entry */
  seen: FleetCarSeen | undefined;
}

const ENDED = ['good', 'failed', 'rolled-back'];

/**
 * Publishes `bundle`, drives the car (a control every 100 ms) until the OS waits for its reboot (or the
 * update ended), stops, and waits until the NUC shows `version` with one of `until` (default: good,
 * failed or rolled-back).
 */
export async function osUpdateThroughNuc(
  rig: ImageRig,
  bundle: string,
  version: string,
  options: { installTimeoutMs: number; bootTimeoutMs: number; step(line: string): void; until?: readonly string[] },
): Promise<OsUpdateRun> {
  const until = options.until ?? ENDED;
  const lines: string[] = [];
  const published = await runDeployCli(['publish', 'os', bundle, '--keyring', (await testOsKeys()).caCert], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, rig.platform.env);
  if (published !== 0) throw new Error(`deploy publish os: ${lines.join('\n')}`);
  const run: OsUpdateRun = { publishedAt: performance.now(), endedAt: 0, outcomes: [], gapSamples: [], seen: undefined };
  options.step(`published ${version}: ${lines.at(-1)}`);
  const poll = async (): Promise<FleetCarSeen | undefined> => {
    const seen = await fleetCar(rig).catch(() => undefined);
    run.seen = seen ?? run.seen;
    const update = seen?.osUpdate;
    if (update?.version === version) {
      const outcome = `${update.outcome}${update.reason ? ` (${update.reason})` : ''}`;
      if (run.outcomes.at(-1) !== outcome) {
        run.outcomes.push(outcome);
        options.step(`fleet: ${version} ${outcome}`);
        if (update.outcome === 'installing') run.installingAt ??= performance.now();
        if (update.outcome === 'pending-reboot') run.pendingAt ??= performance.now();
        if (update.outcome === 'rebooting') run.rebootingAt ??= performance.now();
      }
    }
    return seen;
  };
  let driving = true;
  const driver = (async () => {
    while (driving) {
      await rig.send({ angle: 0.1, throttle: 0.3 }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await waitUntil(
      async () => {
        const seen = await poll();
        const gap = await driveGapMs(rig).catch(() => undefined);
        if (gap !== undefined && seen?.osUpdate?.version === version && ['downloading', 'installing'].includes(seen.osUpdate.outcome)) run.gapSamples.push(gap);
        return seen?.osUpdate?.version === version && ['pending-reboot', ...ENDED].includes(seen.osUpdate.outcome);
      },
      'the OS installed and waiting for its reboot at rest',
      options.installTimeoutMs,
      2000,
    );
  } finally {
    driving = false;
    await driver;
  }
  run.restingAt = performance.now();
  options.step('the driver stops: the car rests');
  await waitUntil(
    async () => {
      const seen = await poll();
      return seen?.osUpdate?.version === version && until.includes(seen.osUpdate.outcome);
    },
    `OS ${version} ${until.join(' or ')} on the NUC`,
    options.bootTimeoutMs + 10 * 60_000,
    2000,
  );
  run.endedAt = performance.now();
  return run;
}
