/**
 * Mender-style fault table with real processes: a driving simulated car, its agent, a served signed
 * repository. The agent is held (test-only fault file, car/agent/fault-injection.ts) right after it
 * journals each phase of a pilot hand-over and of a model swap, then killed with SIGKILL; the
 * launcher restarts it. Each case asserts the car ends settled on a valid version, with exactly one
 * pilot, driving on the active generation only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TufRepository, buildService, deployPaths, findServiceSpec, latestRelease, releaseByVersion, republishRelease, type ServiceContent } from '../../deploy/index.ts';
import { OtaDb, recordAgentReport } from '../../nuc/ota/index.ts';
import { modelPublisher } from '../../nuc/server/index.ts';
import { modelMetadata, saveModel } from '../../model/index.ts';
import { createModel } from '../../trainer/index.ts';
import { waitFor } from '../support/net.ts';
import { SETTLED_STATES, simplePilotContent, startOtaPlatform, type AgentRecord, type OtaPlatform } from '../support/ota.ts';
import { ROOT } from '../support/platform.ts';
import { servicePids } from '../support/service-procs.ts';

const HAND_OVER_PATH = ['checking-space', 'downloading', 'staging', 'starting-new', 'health-check', 'switching', 'stopping-old', 'committing', 'idle'];
const MODEL_PATH = ['checking-space', 'downloading', 'swapping-model', 'committing', 'idle'];

/**
 * The states a restarted agent reports after a kill at `phase` (car/agent/planner.ts `recover`):
 * before anything on the car changed it resumes that phase; from the first phase that changes what
 * runs, it rolls back what the killed agent started and tries the update again from the start.
 */
function pathAfterKill(path: readonly string[], firstApply: string, phase: string): string[] {
  return path.indexOf(phase) >= path.indexOf(firstApply) ? ['rolling-back', ...path] : path.slice(path.indexOf(phase));
}

let car: OtaPlatform;
let faultDir: string;
let faultFile: string;
let pilot: ServiceContent;
let run = 0;

function markedPilot(): ServiceContent {
  const marker = Buffer.from(`\n// fault table run ${++run} ${Date.now()}\n`);
  return { ...pilot, files: pilot.files.map((f) => (f.path === pilot.entry ? { ...f, bytes: Buffer.concat([f.bytes, marker]) } : f)) };
}

/**
 * The agent's report once it has worked on an update after `since` and then been idle or failed for
 * `quietMs`. Every case here makes the agent busy: an agent still idle is one that has not yet seen
 * the release (slow on a loaded machine), not one that has settled.
 */
async function settledSince(since: number, timeoutMs = 120_000, quietMs = 1200): Promise<AgentRecord> {
  return waitFor(
    () => {
      const recent = car.agentReports.filter((r) => r.at >= since);
      const last = recent.at(-1);
      if (!last || !SETTLED_STATES.has(last.header.state)) return undefined;
      const lastBusy = recent.filter((r) => !SETTLED_STATES.has(r.header.state)).at(-1);
      return lastBusy !== undefined && Date.now() - lastBusy.at >= quietMs ? last : undefined;
    },
    'the agent to settle',
    timeoutMs,
    50,
  );
}

function installedVersion(): number {
  return [...car.agentReports].reverse().find((r) => SETTLED_STATES.has(r.header.state))?.header.version ?? 0;
}

/** One pilot process, and every drive command of the next 0.6 s from the active generation. */
async function expectDrivingOn(gen: number): Promise<void> {
  await waitFor(() => servicePids(car, 'pilot').length === 1 || undefined, 'exactly one pilot process', 30_000, 100);
  // the car drives on: a run of commands applied after this moment, all from the settled generation
  // (waited for, not counted in a fixed window: a loaded machine may apply fewer per second)
  const from = Date.now();
  const recent = await waitFor(() => {
    const applied = car.applied.filter((r) => r.at >= from && r.header.reason === 'command');
    return applied.length > 5 ? applied : undefined;
  }, 'the car applying drive commands', 30_000, 50);
  expect(recent.every((r) => r.header.gen === gen && r.header.activeGen === gen)).toBe(true);
  expect(servicePids(car, 'pilot')).toHaveLength(1);
}

/** Asks the agent to hold at `phase`, publishes, and kills the held agent with SIGKILL. */
async function killAt(phase: string, publish: () => number): Promise<{ since: number; killedAt: number; version: number }> {
  fs.writeFileSync(faultFile, `hold:${phase}`);
  const since = Date.now();
  const version = publish();
  const fired = await waitFor(
    () => {
      try {
        return JSON.parse(fs.readFileSync(`${faultFile}.fired`, 'utf8')) as { pid: number; phase: string };
      } catch {
        return undefined;
      }
    },
    `the agent holding at ${phase}`,
    60_000,
    20,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; states since publishing: ${car.pathSince(since).join(' → ') || 'none'}; last error: ${car.agentReports.at(-1)?.header.error ?? 'none'}`);
  });
  fs.rmSync(`${faultFile}.fired`);
  expect(fired.phase).toBe(phase);
  process.kill(fired.pid, 'SIGKILL');
  return { since, killedAt: Date.now(), version };
}

/** A small untrained model saved under the fault directory (a different seed, different bytes). */
async function savedModel(name: string, seed: number): Promise<string> {
  const dir = path.join(faultDir, name);
  const model = createModel('fast', { seed });
  await saveModel(dir, model, modelMetadata({ kind: 'fast', backend: 'cpu', createdAt: new Date(0) }));
  model.dispose();
  return dir;
}

beforeAll(async () => {
  faultDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-fault-'));
  faultFile = path.join(faultDir, 'fault');
  pilot = await buildService(findServiceSpec('pilot'), ROOT);
  car = await startOtaPlatform({
    env: { EDGE_AGENT_FAULT_FILE: faultFile },
    // every case kills the agent: a short restart back-off keeps the launcher from waiting 10 s by
    // case eight; the health timeout is generous, as no case here is about a slow pilot
    // a hung step fails after stepTimeoutMs; a stop that is slower than stopTimeoutMs is a SIGKILL
    config: { car: { agent: { healthTimeoutMs: 60_000, stepTimeoutMs: 6000, stopTimeoutMs: 2000 } }, launcher: { restartInitialMs: 100, restartMaxMs: 1000 } },
  });
  await car.waitForActiveGen(0, 90_000);
}, 150_000);

afterAll(async () => {
  if (process.env.OTA_TEST_DEBUG) process.stderr.write(car?.output() ?? '');
  await car?.stop();
  fs.rmSync(faultDir, { recursive: true, force: true });
});

describe('the agent through faults at every step (real processes)', { timeout: 180_000 }, () => {
  it('a clean hand-over takes the exact path of states', async () => {
    const since = Date.now();
    const release = car.publishContent('pilot', markedPilot(), 'clean hand-over');
    const settled = await settledSince(since);
    expect(settled.header).toMatchObject({ state: 'idle', version: release.version });
    expect(car.pathSince(since)).toEqual(HAND_OVER_PATH);
    await expectDrivingOn(settled.header.gen!);
  });

  it.each(HAND_OVER_PATH.filter((phase) => phase !== 'idle'))('kill -9 of the agent held at %s leaves the car on a valid version', async (phase) => {
    const { killedAt, version } = await killAt(phase, () => car.publishContent('pilot', markedPilot(), `kill at ${phase}`).version);
    const settled = await settledSince(killedAt);
    // the restarted agent finishes the update, after rolling back what its predecessor had started
    expect(settled.header).toMatchObject({ state: 'idle', version });
    expect(car.pathSince(killedAt)).toEqual(pathAfterKill(HAND_OVER_PATH, 'starting-new', phase));
    await expectDrivingOn(settled.header.gen!);
  });

  it('a crash (exit) of the agent at the switch leaves the car on a valid version', async () => {
    fs.writeFileSync(faultFile, 'crash:switching');
    const release = car.publishContent('pilot', markedPilot(), 'crash at switching');
    await waitFor(() => fs.existsSync(`${faultFile}.fired`) || undefined, 'the agent crashing at the switch', 60_000, 20);
    fs.rmSync(`${faultFile}.fired`);
    const crashedAt = Date.now();
    const settled = await settledSince(crashedAt);
    expect(settled.header).toMatchObject({ state: 'idle', version: release.version });
    expect(car.pathSince(crashedAt)).toEqual(pathAfterKill(HAND_OVER_PATH, 'starting-new', 'switching'));
    await expectDrivingOn(settled.header.gen!);
  });

  it('kill -9 of the agent held while swapping a model leaves the car on a valid version', async () => {
    const modelDir = await savedModel('fault-model', 3);
    const { killedAt, version } = await killAt('swapping-model', () => car.publishModel(modelDir, 'fault-model', 'model swap').version);
    const settled = await settledSince(killedAt);
    expect(settled.header).toMatchObject({ state: 'idle', version });
    expect(car.pathSince(killedAt)).toEqual(pathAfterKill(MODEL_PATH, 'swapping-model', 'swapping-model'));
    await car.waitForPilotModel((m) => m.startsWith('fault-model '), 30_000, killedAt);
    await expectDrivingOn(settled.header.gen!);
  });
  /** The path of a release whose step failed in `phase`: retried in place before anything changed, else rolled back. */
  const pathAfterFailure = (path: readonly string[], firstApply: string, phase: string): string[] =>
    path.indexOf(phase) >= path.indexOf(firstApply) ? [...path.slice(0, path.indexOf(phase) + 1), 'rolling-back', 'failed'] : [...path];

  /** Injects `fault` (error or hang) into `phase`'s own I/O, publishes, and waits for the agent to settle. */
  async function failIn(fault: 'error' | 'hang', phase: string, publish: () => number, path: readonly string[], firstApply: string): Promise<void> {
    const before = installedVersion();
    const gen = [...car.agentReports].reverse().find((r) => SETTLED_STATES.has(r.header.state))!.header.gen!;
    fs.writeFileSync(faultFile, `${fault}:${phase}`);
    const since = Date.now();
    const version = publish();
    const settled = await settledSince(since);
    expect(JSON.parse(fs.readFileSync(`${faultFile}.fired`, 'utf8'))).toMatchObject({ action: fault, phase });
    fs.rmSync(`${faultFile}.fired`);
    expect(car.pathSince(since)).toEqual(pathAfterFailure(path, firstApply, phase));
    const because = fault === 'error' ? /injected error in/ : /timed out/;
    expect(car.agentReports.filter((r) => r.at >= since).some((r) => because.test(r.header.error ?? ''))).toBe(true);
    if (path.indexOf(phase) >= path.indexOf(firstApply)) {
      expect(settled.header).toMatchObject({ state: 'failed', version: before, gen });
      expect(settled.header.error).toMatch(new RegExp(`^${phase}: `));
    } else {
      expect(settled.header).toMatchObject({ state: 'idle', version });
    }
    await expectDrivingOn(settled.header.gen!);
  }

  const STEP_PHASES = ['checking-space', 'downloading', 'staging', 'starting-new', 'switching', 'stopping-old'];
  it.each(STEP_PHASES.flatMap((phase) => [['error', phase] as const, ['hang', phase] as const]))('%s in %s: retried before anything changed, rolled back after', async (fault, phase) => {
    await failIn(fault, phase, () => car.publishContent('pilot', markedPilot(), `${fault} in ${phase}`).version, HAND_OVER_PATH, 'starting-new');
  });

  it.each(['error', 'hang'] as const)('%s while swapping a model: rolled back, the pilot keeps its model', async (fault) => {
    // a release carries the newest published one's services: take the failed pilots out first, as
    // an operator would (deploy rollback: the installed content as a new version)
    const repo = TufRepository.open(car.repoDir);
    const restoreSince = Date.now();
    const restored = republishRelease(repo, car.keys, releaseByVersion(repo, installedVersion())!, 'back to the installed release');
    await car.waitForAgent((h) => h.state === 'idle' && h.version === restored.version, 60_000, restoreSince);
    const model = await savedModel(`model-${fault}`, fault === 'error' ? 4 : 5);
    const running = car.pilotModels.at(-1)!.model;
    const since = Date.now();
    await failIn(fault, 'swapping-model', () => car.publishModel(model, `model-${fault}`, `${fault} in a model swap`).version, MODEL_PATH, 'swapping-model');
    expect(car.pilotModels.filter((m) => m.at >= since).every((m) => m.model === running)).toBe(true);
  });

  // last but one: the next case ships a model after this failed release
  it('a pilot that throws on start is rolled back by the exact path, and the old one keeps driving', async () => {
    const before = installedVersion();
    const gen = [...car.agentReports].reverse().find((r) => SETTLED_STATES.has(r.header.state))!.header.gen!;
    const since = Date.now();
    car.publishContent('pilot', simplePilotContent("export default { name: 'pilot', async start() { throw new Error('this pilot cannot start'); } };\n"), 'throws on start');
    const settled = await settledSince(since);
    expect(settled.header).toMatchObject({ state: 'failed', version: before });
    expect(settled.header.error).toMatch(/exited|code/);
    expect(car.pathSince(since)).toEqual(['checking-space', 'downloading', 'staging', 'starting-new', 'health-check', 'rolling-back', 'failed']);
    await expectDrivingOn(gen);
  });

  it('a model shipped after that builds on the healthy release: the car swaps the model and keeps its pilot', async () => {
    // the NUC's records, as its server keeps them: every published release and the car's reports
    const db = OtaDb.open(':memory:');
    const repo = TufRepository.open(car.repoDir);
    for (let version = 1; version <= latestRelease(repo)!.version; version++) {
      const manifest = releaseByVersion(repo, version);
      db.recordRelease({ version, label: manifest.label, createdAt: manifest.createdAt, manifest });
    }
    for (const report of car.agentReports) recordAgentReport(db, car.carId, report.header, new Date(report.at));
    const failed = latestRelease(repo)!.version;
    expect(db.release(failed)?.withdrawn).toMatch(/^rolled back on car 1: /);

    const installed = installedVersion();
    const settledGen = [...car.agentReports].reverse().find((r) => SETTLED_STATES.has(r.header.state))!.header.gen!;
    const since = Date.now();
    const { manifest, base } = modelPublisher(deployPaths(car.dataDir), db).publishModel(await savedModel('after-rollback', 6), 'after-rollback', 'model after a failed pilot');
    db.close();
    // the failed pilot's release and the failed model swaps before it are left out
    expect(base.version).toBe(installed);
    expect(base.skipped[0]?.version).toBe(failed);
    const settled = await settledSince(since);
    expect(settled.header).toMatchObject({ state: 'idle', version: manifest.version });
    // a model swap inside the running pilot, not a hand-over to the pilot that was just rolled back
    expect(car.pathSince(since)).toEqual(MODEL_PATH);
    await car.waitForPilotModel((m) => m.startsWith('after-rollback '), 30_000, since);
    await expectDrivingOn(settledGen);
  });
});
