/**
 * Publishing car OS bundles: real `rauc bundle` / `rauc info` / `rauc extract`, keys from createOsKeys;
 * chunked bundles from the real `rauc convert`, their chunks checked with the real `casync`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadOnlineKeys } from './keys.ts';
import { chunkPath } from './casync-index.ts';
import type { PooledChunks } from './chunk-pool.ts';
import { checkOsBundle, osContent } from './os-bundle.ts';
import { createOsKeys, osKeyFiles } from './os-keys.ts';
import { latestRelease, publishRelease, readModelDir, republishRelease } from './release.ts';
import { CASYNC_MISSING, CHUNKABLE_NOISE_BYTES, RAUC_MISSING, chunkTestBundle, corruptByte, makeTestBundle } from '../test/support/rauc-bundle.ts';
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

/** Every chunk file under a store or pool, as `<4 hex>/<64 hex>.cacnk`, sorted (anything else too: it would show). */
function chunkFiles(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => !fs.lstatSync(path.join(root, f)).isDirectory()).sort();
}

describe.skipIf(CASYNC_MISSING)(`chunked car OS bundles${CASYNC_MISSING ? ` (skipped: ${CASYNC_MISSING})` : ''}`, () => {
  let work: TestRepo;
  let keysDir: string;
  /** what two OS versions share: most of the slot */
  const shared = crypto.randomBytes(CHUNKABLE_NOISE_BYTES);
  let chunked: string;
  let store: string;
  beforeAll(async () => {
    work = makeTestRepo();
    keysDir = path.join(work.dataDir, 'keys');
    await createOsKeys(keysDir);
    const whole = await makeTestBundle(work.dataDir, 'car-0.3.0-qemu-x86_64.raucb', { keysDir, version: '0.3.0', noiseBytes: 64 * 1024, files: { shared } });
    ({ file: chunked, store } = await chunkTestBundle(whole, keysDir));
    return () => work.cleanup();
  }, 60_000);
  const keyring = (): string => osKeyFiles(keysDir).caCert;
  /** a copy of the store to break */
  const copyStore = (name: string): string => {
    const copy = path.join(work.dataDir, name);
    fs.cpSync(store, copy, { recursive: true });
    return copy;
  };

  it("reads a chunked bundle's index and finds every chunk it names in the store beside it", async () => {
    expect(chunked).toBe(path.join(work.dataDir, 'car-0.3.0-qemu-x86_64.chunked.raucb'));
    const info = await checkOsBundle(chunked, { keyring: keyring() });
    expect(info).toMatchObject({ version: '0.3.0', compatible: 'edge-car-qemu-x86_64', slots: ['rootfs'], chunks: { store, indexes: ['rootfs.ext4.caibx'] } });
    expect(info.chunks!.ids.map(chunkPath).sort()).toEqual(chunkFiles(store));
    expect(info.chunks!.storeBytes).toBe(chunkFiles(store).reduce((sum, f) => sum + fs.statSync(path.join(store, f)).size, 0));
    expect(info.chunks!.blobBytes % (1024 * 1024)).toBe(0);
    // --store: the same chunks somewhere else
    const moved = copyStore('moved.castr');
    expect((await checkOsBundle(chunked, { keyring: keyring(), store: moved })).chunks?.store).toBe(moved);
    // a verity bundle has no store
    const whole = path.join(work.dataDir, 'car-0.3.0-qemu-x86_64.raucb');
    expect((await checkOsBundle(whole, { keyring: keyring() })).chunks).toBeUndefined();
    await expect(checkOsBundle(whole, { keyring: keyring(), store: moved })).rejects.toThrow(/car-0\.3\.0-qemu-x86_64\.raucb is not a chunked bundle \(its images are not casync indexes\): it has no chunk store/);
  });

  it('refuses a chunked bundle without its store, with chunks missing, with a damaged chunk, or with a symbolic link in the store', async () => {
    await expect(checkOsBundle(chunked, { keyring: keyring(), store: path.join(work.dataDir, 'absent.castr') })).rejects.toThrow(/^no chunk store \(a directory\) at .*absent\.castr$/);
    const alone = path.join(work.dataDir, 'alone');
    fs.mkdirSync(alone);
    fs.copyFileSync(chunked, path.join(alone, 'car.chunked.raucb'));
    await expect(checkOsBundle(path.join(alone, 'car.chunked.raucb'), { keyring: keyring() })).rejects.toThrow(/no chunk store \(a directory\) at .*alone\/car\.chunked\.castr: a chunked bundle is published with the chunk store `rauc convert` wrote beside it \(car\.chunked\.castr\/\)/);
    const ids = (await checkOsBundle(chunked, { keyring: keyring() })).chunks!.ids;
    const lacking = copyStore('lacking.castr');
    for (const id of [ids[7]!, ids[2]!, ids[30]!]) fs.rmSync(path.join(lacking, chunkPath(id)));
    await expect(checkOsBundle(chunked, { keyring: keyring(), store: lacking })).rejects.toThrow(`the chunk store ${lacking} lacks 3 of the ${ids.length} chunks car-0.3.0-qemu-x86_64.chunked.raucb's index names; the first: ${chunkPath(ids[2]!)}`);
    const damaged = copyStore('damaged.castr');
    corruptByte(path.join(damaged, chunkPath(ids[5]!)));
    await expect(checkOsBundle(chunked, { keyring: keyring(), store: damaged })).rejects.toThrow(/the chunk store .*damaged\.castr does not make car-0\.3\.0-qemu-x86_64\.chunked\.raucb's rootfs\.ext4\.caibx: a chunk is damaged or not what the index names \(casync: /);
    const linked = copyStore('linked.castr');
    fs.renameSync(path.join(linked, chunkPath(ids[4]!)), path.join(work.dataDir, 'moved-out.cacnk'));
    fs.symlinkSync(path.join(work.dataDir, 'moved-out.cacnk'), path.join(linked, chunkPath(ids[4]!)));
    await expect(checkOsBundle(chunked, { keyring: keyring(), store: linked })).rejects.toThrow(/\.cacnk is a symbolic link: chunks are plain files/);
    await expect(checkOsBundle(chunked, { keyring: keyring(), casync: 'casync-that-is-not-there' })).rejects.toThrow(/'casync-that-is-not-there' is not installed \(Debian: apt-get install casync\)/);
  });

  it("publishes the small bundle as the release's OS and its chunks into the pool, each chunk once, an OS sharing chunks adding only the new ones", async () => {
    const repo = makeTestRepo();
    try {
      const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
      const pooled: PooledChunks[] = [];
      const content = osContent(chunked, await checkOsBundle(chunked, { keyring: keyring() }));
      // pooled whether or not anyone asks how it went
      const first = publishRelease(repo.repo, keys, { label: 'os 0.3.0', os: content });
      const storeFiles = chunkFiles(store);
      const storeBytes = storeFiles.reduce((sum, f) => sum + fs.statSync(path.join(store, f)).size, 0);
      const pool = path.join(repo.repoDir, 'chunks');
      expect(chunkFiles(pool)).toEqual(storeFiles);
      // into another repository, with the count
      const other = makeTestRepo();
      try {
        publishRelease(other.repo, loadOnlineKeys(path.join(other.dataDir, 'keys')), { label: 'os 0.3.0', os: content }, { onChunks: (p) => pooled.push(p) });
      } finally {
        other.cleanup();
      }
      expect(pooled).toEqual([{ added: storeFiles.length, addedBytes: storeBytes, present: 0, presentBytes: 0 }]);
      expect(chunkFiles(pool)).toEqual(storeFiles);
      expect(storeFiles.filter((f) => !fs.readFileSync(path.join(pool, f)).equals(fs.readFileSync(path.join(store, f))))).toEqual([]);
      // the small bundle is the OS target, as a verity bundle would be; no chunk is a TUF target
      expect(first.os).toMatchObject({ version: '0.3.0', bundle: { path: 'os.raucb', target: 'os/car-0.3.0-qemu-x86_64.chunked.raucb', length: fs.statSync(chunked).size } });
      expect(repo.repo.targets().map((t) => t.path).filter((p) => !p.startsWith('services/') && !p.startsWith('releases/') && p !== 'latest.json')).toEqual(['os/car-0.3.0-qemu-x86_64.chunked.raucb']);

      // the next OS shares most of its slot: only the chunks it changed are new
      const nextWhole = await makeTestBundle(work.dataDir, 'car-0.4.0-qemu-x86_64.raucb', { keysDir, version: '0.4.0', noiseBytes: 64 * 1024, files: { shared } });
      const next = await chunkTestBundle(nextWhole, keysDir);
      publishRelease(repo.repo, keys, { label: 'os 0.4.0', os: osContent(next.file, await checkOsBundle(next.file, { keyring: keyring() })) }, { onChunks: (p) => pooled.push(p) });
      const { added, present } = pooled[1]!;
      expect(pooled[1]!.presentBytes + pooled[1]!.addedBytes).toBe(next.storeBytes);
      expect(added + present).toBe(next.chunks);
      expect(present).toBeGreaterThan(next.chunks / 2);
      expect(added).toBeGreaterThan(0);
      expect(chunkFiles(pool)).toEqual([...new Set([...storeFiles, ...chunkFiles(next.store)])].sort());
      // no temporary file is left, and the pool holds nothing but chunk files
      for (const f of chunkFiles(pool)) expect(f).toMatch(/^([0-9a-f]{4})\/\1[0-9a-f]{60}\.cacnk$/);
    } finally {
      repo.cleanup();
    }
  }, 60_000);
});
