import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServiceBundle } from './bundle.ts';
import { REPOSITORY_ROOT } from './catalog.ts';
import { loadOnlineKeys } from './keys.ts';
import { latestRelease, publishRelease, readModelDir, releaseByVersion, republishRelease } from './release.ts';
import { makeTestRepo, pilotChanges, type TestRepo } from '../test/support/tuf-repo.ts';

let repo: TestRepo;
afterEach(() => repo.cleanup());

describe('releases', () => {
  it('each release describes the whole car: a model publish keeps the services', () => {
    repo = makeTestRepo();
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    expect(latestRelease(repo.repo)).toBeUndefined();
    publishRelease(repo.repo, keys, pilotChanges('one'));
    const modelDir = path.join(repo.dataDir, 'models', 'pilot-v2');
    fs.mkdirSync(path.join(modelDir, 'weights'), { recursive: true });
    fs.writeFileSync(path.join(modelDir, 'model.json'), '{}');
    fs.writeFileSync(path.join(modelDir, 'weights', 'shard1.bin'), Buffer.alloc(100, 7));
    fs.writeFileSync(path.join(modelDir, '.DS_Store'), 'junk');
    const second = publishRelease(repo.repo, keys, { label: 'model', model: readModelDir(modelDir) });
    expect(second.version).toBe(2);
    expect(Object.keys(second.services)).toEqual(['pilot']);
    expect(second.model?.files.map((f) => [f.path, f.target, f.length])).toEqual([
      ['model.json', 'models/pilot-v2/model.json', 2],
      ['weights/shard1.bin', 'models/pilot-v2/weights/shard1.bin', 100],
    ]);
    expect(latestRelease(repo.repo)).toEqual(second);
    expect(releaseByVersion(repo.repo, 1).model).toBeUndefined();
    expect(() => releaseByVersion(repo.repo, 9)).toThrow(/release 9 does not exist/);
  });

  it('a rollback is a new, higher version with the old content', () => {
    repo = makeTestRepo();
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    const first = publishRelease(repo.repo, keys, pilotChanges('one'));
    publishRelease(repo.repo, keys, pilotChanges('two'));
    const back = republishRelease(repo.repo, keys, first, 'undo two');
    expect([back.version, back.rollbackOf, back.label]).toEqual([3, 1, 'undo two']);
    expect(back.services).toEqual(first.services);
    expect(repo.repo.readTarget('services/pilot/service.js').toString()).toBe('one');
  });

  it('builds on an older base when asked, re-listing its files; on none with base null', () => {
    repo = makeTestRepo();
    const keys = loadOnlineKeys(path.join(repo.dataDir, 'keys'));
    const first = publishRelease(repo.repo, keys, pilotChanges('one'));
    publishRelease(repo.repo, keys, pilotChanges('two'));
    const modelDir = path.join(repo.dataDir, 'models', 'm1');
    fs.mkdirSync(modelDir, { recursive: true });
    fs.writeFileSync(path.join(modelDir, 'model.json'), '{}');
    const onFirst = publishRelease(repo.repo, keys, { label: 'model on one', model: readModelDir(modelDir) }, { base: first.version });
    expect(onFirst.version).toBe(3);
    expect(onFirst.services).toEqual(first.services);
    // what a car downloads under the pilot's path is release 1's pilot again
    expect(repo.repo.readTarget('services/pilot/service.js').toString()).toBe('one');
    const bare = publishRelease(repo.repo, keys, { label: 'model alone', model: readModelDir(modelDir) }, { base: null });
    expect(bare.services).toEqual({});
    expect(bare.model?.name).toBe('m1');
    expect(() => publishRelease(repo.repo, keys, pilotChanges('x'), { base: 9 })).toThrow(/release 9 does not exist/);
  });

  it('refuses model directories that are missing, empty or badly named', () => {
    repo = makeTestRepo();
    expect(() => readModelDir(path.join(repo.dataDir, 'absent'))).toThrow(/does not exist/);
    fs.mkdirSync(path.join(repo.dataDir, 'Empty Model'));
    expect(() => readModelDir(path.join(repo.dataDir, 'Empty Model'), 'empty')).toThrow(/has no files/);
    fs.writeFileSync(path.join(repo.dataDir, 'Empty Model', 'model.json'), '{}');
    expect(() => readModelDir(path.join(repo.dataDir, 'Empty Model'))).toThrow(/invalid model name 'empty model'/);
  });
});

describe('buildServiceBundle', () => {
  it('bundles local code into one ESM file and lists the native packages it leaves out', async () => {
    repo = makeTestRepo();
    const dir = path.join(repo.dataDir, 'src');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'helper.ts'), 'export const answer: number = 42;\n');
    fs.writeFileSync(
      path.join(dir, 'service.ts'),
      "import { answer } from './helper.ts';\nimport zmq from 'zeromq';\nexport default { answer, zmq: typeof zmq };\n",
    );
    const bundle = await buildServiceBundle(path.join(dir, 'service.ts'));
    const code = Buffer.from(bundle.bytes).toString('utf8');
    expect(bundle.externals).toEqual(['zeromq']);
    expect(code).toContain('42');
    expect(code).not.toContain("from './helper.ts'");
    expect(code).toMatch(/from "zeromq"/);
    const out = path.join(dir, 'bundle.mjs');
    fs.writeFileSync(out, bundle.bytes);
    const loaded = (await import(out)) as { default: { answer: number } };
    expect(loaded.default.answer).toBe(42);
  });

  it("ships the pilot with the model's code, not the trainer's", async () => {
    repo = makeTestRepo();
    const { sources } = await buildServiceBundle(path.join(REPOSITORY_ROOT, 'car', 'pilot', 'service.ts'));
    const inRoom = (room: string) => sources.filter((file) => file.startsWith(path.join(REPOSITORY_ROOT, room) + path.sep));
    expect(inRoom('model')).toContain(path.join(REPOSITORY_ROOT, 'model', 'files.ts'));
    expect(inRoom('trainer')).toEqual([]);
    // from runtime/'s barrel only what it runs: not the configuration loader (YAML) nor the logger
    expect(inRoom('runtime')).not.toContain(path.join(REPOSITORY_ROOT, 'runtime', 'load-config.ts'));
    expect(inRoom('runtime')).not.toContain(path.join(REPOSITORY_ROOT, 'runtime', 'logger.ts'));
  });

  it('names the file and line of a build error', async () => {
    repo = makeTestRepo();
    const entry = path.join(repo.dataDir, 'broken.ts');
    fs.writeFileSync(entry, "import { nope } from './missing.ts';\nexport default nope;\n");
    await expect(buildServiceBundle(entry)).rejects.toThrow(/cannot bundle .*broken\.ts.*missing\.ts/);
  });
});
