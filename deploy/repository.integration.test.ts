import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOnlineKeys } from './keys.ts';
import { blobPath } from '../protocol/index.ts';
import { TufRepository, sha256Hex } from './repository.ts';
import { makeClient, makeTestRepo, serveRepository, type TestRepo, type TestServer } from '../test/support/tuf-repo.ts';

const HOUR_MS = 3600 * 1000;
let repo: TestRepo;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  repo.cleanup();
});

describe('TufRepository', () => {
  it('lays out consistent-snapshot metadata and content-addressed blobs', () => {
    repo = makeTestRepo();
    repo.repo.publish([{ path: 'services/pilot/service.js', bytes: Buffer.from('one') }], loadOnlineKeys(path.join(repo.dataDir, 'keys')));
    const files = fs.readdirSync(repo.repo.metadataDir).sort();
    expect(files).toEqual(['1.root.json', '1.snapshot.json', '1.targets.json', '2.snapshot.json', '2.targets.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    const sha = sha256Hex(Buffer.from('one'));
    expect(fs.readFileSync(path.join(repo.repo.targetsDir, `services/pilot/${sha}.service.js`), 'utf8')).toBe('one');
    expect(repo.repo.versions()).toMatchObject({ root: 1, targets: 2, snapshot: 2, timestamp: 2 });
  });

  it('keeps the old blob when a path gets new content, so older manifests stay downloadable', () => {
    repo = makeTestRepo();
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    repo.repo.publish([{ path: 'services/pilot/service.js', bytes: Buffer.from('one') }], keys);
    repo.repo.publish([{ path: 'services/pilot/service.js', bytes: Buffer.from('two') }], keys);
    expect(repo.repo.readTarget('services/pilot/service.js').toString()).toBe('two');
    expect(repo.repo.readBlob('services/pilot/service.js', sha256Hex(Buffer.from('one'))).toString()).toBe('one');
  });

  it('refuses bad target paths and a second initialisation', () => {
    repo = makeTestRepo();
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    for (const bad of ['../escape', '/abs', 'a/../b', 'space here', '']) {
      expect(() => repo.repo.publish([{ path: bad, bytes: Buffer.from('x') }], keys), bad).toThrow(/invalid target path/);
    }
    expect(() => TufRepository.initialize(repo.repoDir, repo.keys)).toThrow(/already exists/);
    expect(() => TufRepository.open(path.join(repo.dataDir, 'nowhere'))).toThrow(/deploy -- init/);
  });

  it('a refreshed timestamp lets cars update again after the old one expired', async () => {
    const signedAt = Date.now() - 2 * 24 * HOUR_MS;
    repo = makeTestRepo({ now: () => new Date(signedAt) });
    repo.publish();
    server = await serveRepository(repo.repoDir);
    const car = makeClient(repo.repo, server.baseUrl, path.join(repo.dataDir, 'car'));
    await expect(car.latestRelease()).rejects.toThrow(/expired/);
    // snapshot and targets signed two days ago live a week and 90 days; only the timestamp lapsed
    TufRepository.open(repo.repoDir).refreshTimestamp(repo.keys.timestamp);
    expect((await car.latestRelease()).version).toBe(1);
  });

  it('puts the blob for a target where tuf-js asks for it', () => {
    expect(blobPath('releases/latest.json', 'ab')).toBe('releases/ab.latest.json');
    expect(blobPath('top.bin', 'ab')).toBe('ab.top.bin');
  });
});
