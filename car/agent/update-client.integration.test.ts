import fs from 'node:fs';
import path from 'node:path';
import { Metadata, MetadataKind, Timestamp } from '@tufjs/models';
import { afterEach, describe, expect, it } from 'vitest';
import { generateRoleKey, loadOnlineKeys, releaseByVersion, republishRelease, TufRepository } from '../../deploy/index.ts';
import { makeClient, makeTestRepo, pilotChanges, serveEndlessTargets, serveRepository, type TestRepo, type TestServer } from '../../test/support/tuf-repo.ts';
import { blobPath } from '../../protocol/index.ts';
import { UpdateRefusedError, type RefusalReason } from './update-client.ts';

const DAY_MS = 24 * 3600 * 1000;
let repo: TestRepo;
let server: TestServer;

afterEach(async () => {
  await server?.close();
  repo?.cleanup();
});

async function setup(): Promise<void> {
  repo = makeTestRepo();
  repo.publish(pilotChanges('export default "v1";\n'));
  server = await serveRepository(repo.repoDir);
}

const carDir = (): string => path.join(repo.dataDir, 'car');
const client = () => makeClient(repo.repo, server.baseUrl, carDir());
const trustedTimestampVersion = (): number =>
  (JSON.parse(fs.readFileSync(path.join(carDir(), 'tuf', 'timestamp.json'), 'utf8')) as { signed: { version: number } }).signed.version;

async function refusal(promise: Promise<unknown>): Promise<UpdateRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the update to be refused').toBeInstanceOf(UpdateRefusedError);
  return error as UpdateRefusedError;
}

async function expectRefused(promise: Promise<unknown>, reason: RefusalReason, message: RegExp): Promise<void> {
  const error = await refusal(promise);
  expect(error.message).toMatch(message);
  expect(error.reason).toBe(reason);
}

function metadataFile(name: string): string {
  return path.join(repo.repoDir, 'metadata', name);
}

describe('UpdateClient against a signed repository', () => {
  it('verifies and downloads a good release', async () => {
    await setup();
    const car = client();
    const manifest = await car.latestRelease();
    expect(manifest.version).toBe(1);
    const file = manifest.services['pilot']!.files[0]!;
    const destination = path.join(carDir(), 'slot-b', 'pilot', file.path);
    await car.downloadFile(file, destination);
    expect(fs.readFileSync(destination, 'utf8')).toBe('export default "v1";\n');
  });

  it('refuses a blob whose bytes changed after signing, and writes nothing', async () => {
    await setup();
    const car = client();
    const file = (await car.latestRelease()).services['pilot']!.files[0]!;
    const blob = path.join(repo.repoDir, 'targets', blobPath(file.target, file.sha256));
    fs.writeFileSync(blob, fs.readFileSync(blob, 'utf8').replace('v1', 'v6'));
    const destination = path.join(carDir(), 'slot-b', 'pilot', file.path);
    await expectRefused(car.downloadFile(file, destination), 'mismatch', /Expected hash/);
    expect(fs.readdirSync(path.dirname(destination))).toEqual([]);
  });

  it('refuses metadata edited without re-signing', async () => {
    await setup();
    await client().latestRelease();
    const trusted = trustedTimestampVersion();
    const raw = JSON.parse(fs.readFileSync(metadataFile('timestamp.json'), 'utf8')) as { signed: { version: number; expires: string } };
    raw.signed.version += 1;
    raw.signed.expires = '2099-01-01T00:00:00Z';
    fs.writeFileSync(metadataFile('timestamp.json'), JSON.stringify(raw));
    await expectRefused(client().latestRelease(), 'signature', /timestamp was signed by 0\/1 keys/);
    expect(trustedTimestampVersion()).toBe(trusted);
  });

  it('refuses metadata signed by a key the root does not trust', async () => {
    await setup();
    await client().latestRelease();
    const current = Metadata.fromJSON(MetadataKind.Timestamp, JSON.parse(fs.readFileSync(metadataFile('timestamp.json'), 'utf8')));
    const forged = new Metadata(
      new Timestamp({ version: current.signed.version + 1, specVersion: '1.0.31', expires: '2099-01-01T00:00:00Z', snapshotMeta: current.signed.snapshotMeta }),
    );
    const intruder = generateRoleKey('timestamp').key;
    forged.sign((data) => intruder.sign(data));
    fs.writeFileSync(metadataFile('timestamp.json'), JSON.stringify(forged.toJSON()));
    await expectRefused(client().latestRelease(), 'signature', /signed by 0\/1 keys/);
  });

  it('refuses older metadata after the car has seen newer (rollback attack)', async () => {
    await setup();
    const before = fs.mkdtempSync(path.join(repo.dataDir, 'old-'));
    fs.cpSync(path.join(repo.repoDir, 'metadata'), before, { recursive: true });
    repo.publish(pilotChanges('export default "v2";\n'));
    expect((await client().latestRelease()).version).toBe(2);
    const trusted = trustedTimestampVersion();
    // the mirror goes back to its state before release 2 (all of it validly signed)
    fs.rmSync(path.join(repo.repoDir, 'metadata'), { recursive: true });
    fs.cpSync(before, path.join(repo.repoDir, 'metadata'), { recursive: true });
    await expectRefused(client().latestRelease(), 'rollback', /timestamp version \d+ is less than current version/);
    expect(trustedTimestampVersion()).toBe(trusted);
  });

  it('refuses a release older than the installed one, even under fresh metadata', async () => {
    await setup();
    await expectRefused(client().latestRelease({ installedVersion: 2 }), 'rollback', /release 1 is older than the installed release 2/);
  });

  it('refuses an expired timestamp (freeze attack)', async () => {
    await setup();
    await client().latestRelease();
    const trusted = trustedTimestampVersion();
    // a mirror stuck two days ago: everything it serves was signed then, and the timestamp lives a day
    repo.publish(pilotChanges('export default "v2";\n'), { now: () => new Date(Date.now() - 2 * DAY_MS) });
    await expectRefused(client().latestRelease(), 'expired', /timestamp.json is expired/);
    expect(trustedTimestampVersion()).toBe(trusted);
  });

  it('refuses targets from one repository state with the snapshot of another (mix-and-match)', async () => {
    await setup();
    repo.publish(pilotChanges('export default "v2";\n'));
    const versions = repo.repo.versions();
    fs.copyFileSync(metadataFile(`${versions.targets - 1}.targets.json`), metadataFile(`${versions.targets}.targets.json`));
    await expectRefused(client().latestRelease(), 'mismatch', /Expected (length|hash)/);
  });

  it('refuses a snapshot from another repository state (mix-and-match)', async () => {
    await setup();
    repo.publish(pilotChanges('export default "v2";\n'));
    const versions = repo.repo.versions();
    fs.copyFileSync(metadataFile(`${versions.snapshot - 1}.snapshot.json`), metadataFile(`${versions.snapshot}.snapshot.json`));
    await expectRefused(client().latestRelease(), 'mismatch', /Expected (length|hash)/);
  });

  it('stops reading a target at its signed length (endless data)', async () => {
    await setup();
    const file = (await client().latestRelease()).services['pilot']!.files[0]!;
    await server.close();
    server = await serveEndlessTargets(repo.repoDir, 'services/');
    const car = client();
    await car.latestRelease();
    const destination = path.join(carDir(), 'slot-b', 'pilot', file.path);
    await expectRefused(car.downloadFile(file, destination), 'too-large', /Max length reached/);
    expect(fs.existsSync(destination)).toBe(false);
  });

  it('stops reading the release manifest at its signed length (endless data)', async () => {
    await setup();
    await server.close();
    server = await serveEndlessTargets(repo.repoDir);
    await expectRefused(client().latestRelease(), 'too-large', /Max length reached/);
  });
});

describe('rolling back by moving forward', () => {
  it('reaches the car as a newer release carrying the old content', async () => {
    await setup();
    repo.publish(pilotChanges('export default "v2";\n'));
    const repository = TufRepository.open(repo.repoDir);
    republishRelease(repository, loadOnlineKeys(path.join(repo.dataDir, 'keys')), releaseByVersion(repository, 1), 'back to v1');
    const car = client();
    const manifest = await car.latestRelease({ installedVersion: 2 });
    expect([manifest.version, manifest.rollbackOf]).toEqual([3, 1]);
    const file = manifest.services['pilot']!.files[0]!;
    const destination = path.join(carDir(), 'slot-a', 'pilot', file.path);
    await car.downloadFile(file, destination);
    expect(fs.readFileSync(destination, 'utf8')).toBe('export default "v1";\n');
  });

  it('rolls back one car only, until the next release for the fleet', async () => {
    await setup();
    repo.publish(pilotChanges('export default "v2";\n'));
    const repository = TufRepository.open(repo.repoDir);
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    republishRelease(repository, keys, releaseByVersion(repository, 1), 'car 7 back to v1', { car: '7' });
    const carClient = (id: string) => makeClient(repo.repo, server.baseUrl, path.join(repo.dataDir, `car-${id}`), id);
    const seven = await carClient('7').latestRelease({ installedVersion: 2 });
    expect([seven.version, seven.rollbackOf, seven.label]).toEqual([3, 1, 'car 7 back to v1']);
    // car 70 shares a prefix with 7, not its release
    expect((await carClient('70').latestRelease()).version).toBe(2);
    expect((await carClient('8').latestRelease()).version).toBe(2);
    // the fleet's next release is above car 7's own, so it takes that one again
    expect(repo.publish(pilotChanges('export default "v4";\n')).version).toBe(4);
    expect((await carClient('7').latestRelease({ installedVersion: 3 })).version).toBe(4);
  });
});
