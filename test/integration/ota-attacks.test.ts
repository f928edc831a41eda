/**
 * The attacks TUF defends against, aimed at a real agent on a driving simulated car: each is refused,
 * the agent reports why, and the installed pilot keeps driving. A hostile mirror is simulated by
 * editing the served repository on disk between the agent's polls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TufRepository, buildService, findServiceSpec, publishRelease, type ServiceContent } from '../../deploy/index.ts';
import { blobPath, type ReleaseManifest } from '../../protocol/index.ts';
import { waitFor } from '../support/net.ts';
import { startOtaPlatform, type OtaPlatform } from '../support/ota.ts';
import { ROOT } from '../support/platform.ts';

const DAY_MS = 24 * 3600 * 1000;

let car: OtaPlatform;
let pilot: ServiceContent;
let run = 0;
/** what the car runs: release version and pilot generation */
let installed: { version: number; gen: number };

function markedPilot(): ServiceContent {
  const marker = Buffer.from(`\n// attack run ${++run} ${Date.now()}\n`);
  return { ...pilot, files: pilot.files.map((f) => (f.path === pilot.entry ? { ...f, bytes: Buffer.concat([f.bytes, marker]) } : f)) };
}

function publishPilot(label: string, now?: () => Date): ReleaseManifest {
  return publishRelease(TufRepository.open(car.repoDir, now ? { now } : {}), car.keys, { label, services: { pilot: markedPilot() } });
}

const metadataDir = (): string => path.join(car.repoDir, 'metadata');
const metadataFile = (name: string): string => path.join(metadataDir(), name);

function copyMetadata(): string {
  const copy = fs.mkdtempSync(path.join(car.dataDir, 'metadata-copy-'));
  fs.cpSync(metadataDir(), copy, { recursive: true });
  return copy;
}

function restoreMetadata(copy: string): void {
  fs.rmSync(metadataDir(), { recursive: true });
  fs.cpSync(copy, metadataDir(), { recursive: true });
}

function pilotBlob(release: ReleaseManifest): string {
  const file = release.services.pilot!.files.find((f) => f.path === release.services.pilot!.entry)!;
  return path.join(car.repoDir, 'targets', blobPath(file.target, file.sha256));
}

/** The agent reports a refusal matching `error`, and the car stays on the installed version, driving it. */
async function expectRefusedAndStillDriving(error: RegExp): Promise<void> {
  const since = Date.now();
  await waitFor(() => car.agentReports.find((r) => r.at >= since && error.test(r.header.error ?? '')), `the agent reporting ${error}`, 30_000, 50).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; last report: ${JSON.stringify(car.agentReports.at(-1)?.header)}`);
  });
  const recent = car.agentReports.filter((r) => r.at >= since);
  expect(recent.every((r) => r.header.version === installed.version)).toBe(true);
  // Still driving: the actuator goes on applying commands, every one of them the installed pilot's.
  // Wait for the commands rather than counting them in a fixed window, which a loaded machine can starve.
  const from = Date.now();
  const commandsSince = () => car.applied.filter((r) => r.at >= from && r.header.reason === 'command');
  await waitFor(() => commandsSince().length > 5, 'the actuator applying the installed pilot\'s commands', 30_000, 50);
  expect(commandsSince().every((r) => r.header.gen === installed.gen && r.header.activeGen === installed.gen)).toBe(true);
}

async function installGood(label: string): Promise<void> {
  const release = publishPilot(label);
  const report = await car.waitForAgent((h) => h.state === 'idle' && h.version === release.version, 90_000);
  installed = { version: release.version, gen: report.header.gen! };
}

beforeAll(async () => {
  pilot = await buildService(findServiceSpec('pilot'), ROOT);
  // generous: the good releases must not time out on a loaded machine; no case here waits for it
  car = await startOtaPlatform({ config: { car: { agent: { healthTimeoutMs: 60_000 } } } });
  await car.waitForActiveGen(0, 90_000);
  await installGood('good pilot 1');
}, 180_000);

afterAll(async () => {
  if (process.env.OTA_TEST_DEBUG) process.stderr.write(car?.output() ?? '');
  await car?.stop();
});

describe('attacks on the update repository are refused while the car keeps driving', { timeout: 120_000 }, () => {
  it('a tampered blob (bytes changed after signing)', async () => {
    const release = publishPilot('tampered');
    const blob = pilotBlob(release);
    const bytes = fs.readFileSync(blob);
    bytes[100] = bytes[100]! ^ 0xff;
    fs.writeFileSync(blob, bytes);
    await expectRefusedAndStillDriving(/sha256 [0-9a-f]{64} does not match the signed [0-9a-f]{64} \(tampered or corrupt\)/);
  });

  it('an oversized target (endless data: longer than its signed length)', async () => {
    const release = publishPilot('oversized');
    const blob = pilotBlob(release);
    fs.appendFileSync(blob, Buffer.alloc(1024 * 1024, 0x41));
    await expectRefusedAndStillDriving(/more than the signed \d+ bytes \(endless data\)/);
  });

  it('metadata edited without re-signing (bad signature)', async () => {
    const good = copyMetadata();
    publishPilot('unsigned edit');
    const file = metadataFile('timestamp.json');
    const timestamp = JSON.parse(fs.readFileSync(file, 'utf8')) as { signed: { expires: string } };
    timestamp.signed.expires = new Date(Date.now() + 365 * DAY_MS).toISOString().replace(/\.\d+Z$/, 'Z');
    fs.writeFileSync(file, JSON.stringify(timestamp));
    await expectRefusedAndStillDriving(/update refused \(signature\)/);
    restoreMetadata(good);
  });

  it('an expired timestamp (freeze attack)', async () => {
    publishPilot('frozen two days ago', () => new Date(Date.now() - 2 * DAY_MS));
    await expectRefusedAndStillDriving(/update refused \(expired\)/);
  });

  it('a snapshot from another repository state (mix-and-match)', async () => {
    publishPilot('mixed');
    const good = copyMetadata();
    const { snapshot } = TufRepository.open(car.repoDir).versions();
    fs.copyFileSync(metadataFile(`${snapshot - 1}.snapshot.json`), metadataFile(`${snapshot}.snapshot.json`));
    fs.copyFileSync(metadataFile(`${snapshot - 1}.snapshot.json`), metadataFile('snapshot.json'));
    await expectRefusedAndStillDriving(/update refused \(mismatch\)/);
    restoreMetadata(good);
  });

  it('older, validly signed metadata after newer (rollback attack), then a good release still installs', async () => {
    const older = copyMetadata();
    await installGood('good pilot 2');
    restoreMetadata(older);
    await expectRefusedAndStillDriving(/update refused \(rollback\)/);
    // the mirror serves the truth again: the next good release goes in
    await installGood('good pilot 3');
    expect(installed.version).toBeGreaterThan(1);
  });
});
