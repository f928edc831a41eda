import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TufRepository, carRelease, deployPaths, latestRelease } from '../deploy/index.ts';
import { OtaDb } from '../nuc/ota/index.ts';
import { runCli } from './deploy-cli.ts';

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--data', dataDir!], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function modelDir(name: string, content: string): string {
  const dir = path.join(dataDir!, 'models', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), content);
  return dir;
}

describe('deploy CLI', () => {
  it('init, publish, status and rollback a car by moving forward', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
    const paths = deployPaths(dataDir);
    expect((await run('init')).code).toBe(0);
    expect(fs.existsSync(path.join(paths.keysDir, 'offline', 'root.pem'))).toBe(true);
    expect(fs.readdirSync(paths.repositoryDir)).toEqual(['metadata', 'targets']);
    expect((await run('init')).err).toMatch(/already exists/);

    // a model the NUC never evaluated is no candidate: it ships only on an explicit override, which is recorded
    const refused = await run('publish', 'model', modelDir('a', '{"v":1}'));
    expect(refused).toMatchObject({ code: 1, out: '' });
    expect(refused.err).toMatch(/model .*models\/a is not evaluated: never evaluated in the simulator\. Ship it only with an explicit override \(--override\)/);
    const overridden = await run('publish', 'model', modelDir('a', '{"v":1}'), '--override');
    expect(overridden.out).toMatch(/published release 1 \(model: a\) on an override/);
    expect(overridden.err).toMatch(/warning: shipped on an override: not evaluated/);
    expect((await run('publish', 'model', modelDir('b', '{"v":2}'), '--override')).out).toMatch(/published release 2/);
    const db = OtaDb.open(paths.databaseFile);
    db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'installed' });
    db.recordOutcome({ car: '7', from: 1, to: 2, outcome: 'installed' });
    db.close();

    const status = await run('status');
    expect(status.out).toMatch(/latest release 2: model: b \(shipped on an override: not evaluated/);
    expect(status.out).toMatch(/car 7: release 2, running/);

    const rollback = await run('rollback', '7');
    expect(rollback.code).toBe(0);
    expect(rollback.out).toMatch(/published release 3 = content of release 1 for car 7 only/);
    const repository = TufRepository.open(paths.repositoryDir);
    const own = carRelease(repository, '7');
    expect([own?.version, own?.rollbackOf, own?.model?.name]).toEqual([3, 1, 'a']);
    // the other cars keep the fleet's release
    expect(latestRelease(repository)?.version).toBe(2);
    expect((await run('status')).out).toMatch(/car 7's own release 3: rollback of car 7 to release 1/);
    const recorded = OtaDb.open(paths.databaseFile);
    expect(recorded.releases().map((r) => r.version)).toEqual([3, 2, 1]);
    // the history keeps every release that shipped a non-candidate on an override, rollbacks to one too
    expect(recorded.releases().map((r) => r.override?.replace(/ \(.*/, ''))).toEqual(Array(3).fill('shipped on an override: not evaluated'));
    recorded.close();
  });

  it('publishes on the last healthy release when cars rolled back from the newest, and says so', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
    const paths = deployPaths(dataDir);
    await run('init');
    await run('publish', 'model', modelDir('good', '{"v":1}'), '--override');
    await run('publish', 'model', modelDir('bad', '{"v":2}'), '--override');
    const db = OtaDb.open(paths.databaseFile);
    db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'installed' });
    db.recordOutcome({ car: '7', from: 1, to: 2, outcome: 'rolled-back', error: 'model cannot be loaded' });
    db.close();
    expect((await run('status')).out).toMatch(/latest release 2: model: bad .* WITHDRAWN: rolled back on car 7: model cannot be loaded/);

    const published = await run('publish', 'service', 'camera');
    expect(published.code).toBe(0);
    expect(published.err).toMatch(/release 2 is withdrawn \(rolled back on car 7: model cannot be loaded\): not building on it/);
    expect(published.out).toMatch(/building on release 1, the last healthy one[\s\S]*published release 3/);
    const latest = latestRelease(TufRepository.open(paths.repositoryDir))!;
    expect([latest.version, latest.model?.name, Object.keys(latest.services)]).toEqual([3, 'good', ['camera']]);
  }, 60_000);

  it('explains bad usage', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
    expect(await run('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'frobnicate'[\s\S]*usage:/) });
    expect((await run('publish', 'service')).err).toMatch(/needs at least one service name/);
    expect((await run('status')).err).toMatch(/no repository .* deploy -- init/);
    await run('init');
    expect((await run('publish', 'service', 'teleporter')).err).toMatch(/unknown car service 'teleporter'; known: actuator/);
    expect((await run('rollback', '9')).err).toMatch(/car 9 has no recorded release; name one with --to/);
    expect((await run('--help')).out).toMatch(/NEW,\s+higher version/);
    expect((await run('publish', 'service', 'camera', '--strategy', 'yolo')).err).toMatch(/--strategy must be one of handover, kill-then-download, delete-then-download, got 'yolo'/);
    expect((await run('publish', 'model', modelDir('m', '{}'), '--strategy', 'kill-then-download')).err).toMatch(/--strategy applies to services only/);
    expect((await run('publish', 'service', 'camera', '--override')).err).toMatch(/--override applies to models only/);
  });

  it('publishes a service with the strategy asked for', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
    await run('init');
    const published = await run('publish', 'service', 'camera', '--strategy', 'kill-then-download');
    expect(published.out).toMatch(/strategy kill-then-download/);
    const latest = latestRelease(TufRepository.open(deployPaths(dataDir).repositoryDir));
    expect(latest?.services.camera?.strategy).toBe('kill-then-download');
  }, 60_000);
});
