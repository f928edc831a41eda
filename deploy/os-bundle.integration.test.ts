/** Publishing car OS bundles: real `rauc bundle` / `rauc info` / `rauc extract`, keys from createOsKeys. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadOnlineKeys } from './keys.ts';
import { checkOsBundle, osContent } from './os-bundle.ts';
import { createOsKeys, osKeyFiles } from './os-keys.ts';
import { latestRelease, publishRelease, readModelDir, republishRelease } from './release.ts';
import { RAUC_MISSING, corruptByte, makeTestBundle } from '../test/support/rauc-bundle.ts';
import { makeTestRepo, pilotChanges, type TestRepo } from '../test/support/tuf-repo.ts';

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.cleanup();
  repo = undefined;
});

describe.skipIf(RAUC_MISSING)(`car OS bundles${RAUC_MISSING ? ` (skipped: ${RAUC_MISSING})` : ''}`, () => {
  let keysDir: string;
  let foreignDir: string;
  let work: TestRepo;
  beforeAll(async () => {
    work = makeTestRepo();
    keysDir = path.join(work.dataDir, 'keys');
    foreignDir = path.join(work.dataDir, 'foreign-keys');
    await createOsKeys(keysDir);
    await createOsKeys(foreignDir, { caName: 'someone else OS CA' });
    return () => work.cleanup();
  });
  const keyring = (): string => osKeyFiles(keysDir).caCert;

  it('accepts a bundle the offline CA signed, intact, and reads its manifest', async () => {
    const bundle = await makeTestBundle(work.dataDir, 'good.raucb', { keysDir, version: '0.2.0-abc', build: '1765100000' });
    expect(await checkOsBundle(bundle, { keyring: keyring() })).toEqual({ version: '0.2.0-abc', compatible: 'edge-car-qemu-x86_64', build: '1765100000', slots: ['rootfs'] });
  });

  it("refuses a foreign CA's bundle, a corrupted one, a cut one, one without a version, and what is no bundle", async () => {
    const foreign = await makeTestBundle(work.dataDir, 'foreign.raucb', { keysDir: foreignDir });
    await expect(checkOsBundle(foreign, { keyring: keyring() })).rejects.toThrow(/foreign\.raucb is not signed by the offline OS CA \(.*os-ca\.cert\.pem\): rauc: signature verification failed: .*unable to get local issuer certificate/);
    const corrupted = await makeTestBundle(work.dataDir, 'corrupted.raucb', { keysDir });
    corruptByte(corrupted, 4096);
    // rauc info alone passes it (it checks the signed manifest); the payload's verity check does not
    await expect(checkOsBundle(corrupted, { keyring: keyring() })).rejects.toThrow(/corrupted\.raucb is damaged or not a RAUC bundle: rauc: .*bundle payload is corrupted/);
    const cut = path.join(work.dataDir, 'cut.raucb');
    fs.writeFileSync(cut, fs.readFileSync(await makeTestBundle(work.dataDir, 'whole.raucb', { keysDir })).subarray(0, 20_000));
    await expect(checkOsBundle(cut, { keyring: keyring() })).rejects.toThrow(/cut\.raucb is damaged or not a RAUC bundle: rauc: Invalid bundle format/);
    const unversioned = await makeTestBundle(work.dataDir, 'unversioned.raucb', { keysDir, version: null });
    await expect(checkOsBundle(unversioned, { keyring: keyring() })).rejects.toThrow(/unversioned\.raucb's RAUC manifest has no version/);
    const text = path.join(work.dataDir, 'notes.raucb');
    fs.writeFileSync(text, 'not a bundle at all\n');
    await expect(checkOsBundle(text, { keyring: keyring() })).rejects.toThrow(/notes\.raucb is damaged or not a RAUC bundle: rauc: /);
    await expect(checkOsBundle(path.join(work.dataDir, 'absent.raucb'), { keyring: keyring() })).rejects.toThrow(/no bundle file at .*absent\.raucb/);
    await expect(checkOsBundle(foreign, { keyring: path.join(work.dataDir, 'nope.pem') })).rejects.toThrow(/no OS CA certificate at .*nope\.pem/);
    await expect(checkOsBundle(foreign, { keyring: keyring(), rauc: 'rauc-that-is-not-there' })).rejects.toThrow(/'rauc-that-is-not-there' is not installed/);
  });

  it('publishes an OS through TUF, keeps it in later releases until another replaces it, and carries the services and model', async () => {
    repo = makeTestRepo();
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    publishRelease(repo.repo, keys, pilotChanges('one'));
    const modelDir = path.join(repo.dataDir, 'models', 'm1');
    fs.mkdirSync(modelDir, { recursive: true });
    fs.writeFileSync(path.join(modelDir, 'model.json'), '{}');
    publishRelease(repo.repo, keys, { label: 'model', model: readModelDir(modelDir) });

    const bundle = await makeTestBundle(repo.dataDir, 'car-0.2.0-qemu-x86_64.raucb', { keysDir, version: '0.2.0' });
    const content = osContent(bundle, await checkOsBundle(bundle, { keyring: keyring() }));
    const withOs = publishRelease(repo.repo, keys, { label: 'os 0.2.0', os: content });
    const bytes = fs.readFileSync(bundle);
    expect(withOs.os).toEqual({
      version: '0.2.0',
      compatible: 'edge-car-qemu-x86_64',
      bundle: { path: 'os.raucb', target: 'os/car-0.2.0-qemu-x86_64.raucb', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), length: bytes.length },
    });
    expect(Object.keys(withOs.services)).toEqual(['pilot']);
    expect(withOs.model?.name).toBe('m1');
    // the bundle is a TUF target like any other: targets.json (signed by the targets key) lists it
    const targetsJson = JSON.parse(fs.readFileSync(path.join(repo.repoDir, 'metadata', 'targets.json'), 'utf8')) as { signed: { targets: Record<string, { length: number; hashes: { sha256: string } }> }; signatures: unknown[] };
    expect(targetsJson.signed.targets['os/car-0.2.0-qemu-x86_64.raucb']).toEqual({ length: bytes.length, hashes: { sha256: withOs.os!.bundle.sha256 } });
    expect(targetsJson.signatures).toHaveLength(1);
    // content-addressed, as tuf-js fetches it
    expect(fs.readFileSync(path.join(repo.repoDir, 'targets', 'os', `${withOs.os!.bundle.sha256}.car-0.2.0-qemu-x86_64.raucb`))).toEqual(bytes);

    // a services release after it still states the OS
    const services = publishRelease(repo.repo, keys, pilotChanges('two'));
    expect(services.os).toEqual(withOs.os);
    expect(latestRelease(repo.repo)?.os?.version).toBe('0.2.0');

    // a later OS replaces it; the older bundle's blob stays for the releases that name it
    const next = await makeTestBundle(repo.dataDir, 'car-0.3.0-qemu-x86_64.raucb', { keysDir, version: '0.3.0' });
    const replaced = publishRelease(repo.repo, keys, { label: 'os 0.3.0', os: osContent(next, await checkOsBundle(next, { keyring: keyring() })) });
    expect([replaced.os?.version, replaced.os?.bundle.target, replaced.services.pilot?.files[0]?.sha256]).toEqual(['0.3.0', 'os/car-0.3.0-qemu-x86_64.raucb', services.services.pilot?.files[0]?.sha256]);

    // built on an older base (a withdrawn newest), that base's OS is carried and listed again
    const onOld = publishRelease(repo.repo, keys, pilotChanges('three'), { base: withOs.version });
    expect(onOld.os).toEqual(withOs.os);
    expect(repo.repo.target('os/car-0.2.0-qemu-x86_64.raucb')?.hashes['sha256']).toBe(withOs.os!.bundle.sha256);
    // a rollback re-publishes the old release's OS with the rest of its content
    const back = republishRelease(repo.repo, keys, replaced, 'back to 0.3.0');
    expect(back.os).toEqual(replaced.os);
    expect(repo.repo.readTarget('os/car-0.3.0-qemu-x86_64.raucb')).toEqual(fs.readFileSync(next));
    // a release on no base holds only what is published now: no OS
    expect(publishRelease(repo.repo, keys, pilotChanges('bare'), { base: null }).os).toBeUndefined();
    expect(() => publishRelease(repo!.repo, keys, { label: 'bad name', os: { ...content, fileName: '../x.raucb' } })).toThrow(/invalid OS bundle file name '\.\.\/x\.raucb'/);
  }, 60_000);
});
