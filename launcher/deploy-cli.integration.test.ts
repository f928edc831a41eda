import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TufRepository, carRelease, createOsKeys, deployPaths, hasOsKeys, latestRelease, osKeyFiles, osKeyringCopy } from '../deploy/index.ts';
import { OtaDb } from '../nuc/ota/index.ts';
import { runCli } from './deploy-cli.ts';
import { RAUC_MISSING, corruptByte, makeTestBundle } from '../test/support/rauc-bundle.ts';

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
    expect((await run('init')).out).toMatch(/exists: the update repository .* \(kept\)/);

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

  it('init makes the OS code-signing keys too, never replaces present keys, and says what exists', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
    const paths = deployPaths(dataDir);
    const first = await run('init');
    expect(first.code).toBe(0);
    expect(hasOsKeys(paths.keysDir)).toBe(true);
    const files = osKeyFiles(paths.keysDir);
    expect(first.out).toMatch(/creating the OS code-signing keys \(openssl\) in .*keys\/offline/);
    expect(first.out).toContain(`OS CA:                 ${files.caCert} + os-ca.key.pem`);
    expect(first.out).toMatch(/keep .*keys\/offline \(the TUF root key and the OS CA key\) off the NUC/);
    expect(fs.readFileSync(osKeyringCopy(paths.keysDir))).toEqual(fs.readFileSync(files.caCert));
    expect(fs.statSync(files.caKey).mode & 0o777).toBe(0o600);
    const ca = fs.readFileSync(files.caCert);
    const root = fs.readFileSync(path.join(paths.keysDir, 'offline', 'root.pem'));

    const second = await run('init');
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/exists: the update repository .* \(kept\)/);
    expect(second.out).toMatch(/exists: the OS code-signing keys in .*offline \(kept: the cars' images trust this CA\)/);
    expect(second.out).not.toMatch(/creating/);
    expect([fs.readFileSync(files.caCert), fs.readFileSync(path.join(paths.keysDir, 'offline', 'root.pem'))]).toEqual([ca, root]);

    // the offline folder moved off the NUC, as it should: no new CA (cars would refuse what the old one signs)
    fs.renameSync(path.join(paths.keysDir, 'offline'), path.join(dataDir, 'usb-stick'));
    const moved = await run('init');
    expect(moved.out).toMatch(/exists: the OS CA \(its certificate copy .*\); its offline folder is not here \(moved off the NUC\?\): no new OS keys made/);
    expect(fs.existsSync(files.caCert)).toBe(false);
    // a partial set is refused, naming what is there
    fs.mkdirSync(path.join(paths.keysDir, 'offline'));
    fs.copyFileSync(path.join(dataDir, 'usb-stick', 'os-signing.key.pem'), files.signingKey);
    fs.rmSync(osKeyringCopy(paths.keysDir));
    expect((await run('init')).err).toMatch(/refusing to replace the OS code-signing keys \(os-signing\.key\.pem in .*offline\)/);
  }, 60_000);

  it.skipIf(RAUC_MISSING)(`publish os checks the bundle with rauc and publishes it with the newest services${RAUC_MISSING ? ` (skipped: ${RAUC_MISSING})` : ''}`, async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-cli-'));
    const paths = deployPaths(dataDir);
    await run('init');
    await run('publish', 'model', modelDir('a', '{"v":1}'), '--override');
    const foreignKeys = path.join(dataDir, 'foreign');
    await createOsKeys(foreignKeys, { caName: 'foreign OS CA' });

    const foreign = await run('publish', 'os', await makeTestBundle(dataDir, 'foreign.raucb', { keysDir: foreignKeys }));
    expect(foreign.code).toBe(1);
    expect(foreign.err).toMatch(/foreign\.raucb is not signed by the offline OS CA \(.*offline\/os-ca\.cert\.pem\): rauc: signature verification failed/);
    const damaged = await makeTestBundle(dataDir, 'damaged.raucb', { keysDir: paths.keysDir });
    corruptByte(damaged, 4096);
    expect((await run('publish', 'os', damaged)).err).toMatch(/damaged\.raucb is damaged or not a RAUC bundle: rauc: .*payload is corrupted/);
    expect((await run('publish', 'os', await makeTestBundle(dataDir, 'nov.raucb', { keysDir: paths.keysDir, version: null }))).err).toMatch(/nov\.raucb's RAUC manifest has no version/);
    expect(latestRelease(TufRepository.open(paths.repositoryDir))?.version).toBe(1);

    const bundle = await makeTestBundle(dataDir, 'car-0.2.0-qemu-x86_64.raucb', { keysDir: paths.keysDir, version: '0.2.0' });
    const published = await run('publish', 'os', bundle);
    expect(published.code).toBe(0);
    expect(published.out).toMatch(/checking .*car-0\.2\.0-qemu-x86_64\.raucb with rauc[\s\S]*OS 0\.2\.0 for edge-car-qemu-x86_64, build 1765000000: rootfs; [\d.]+ kB[\s\S]*published release 2 \(os: 0\.2\.0\)/);
    const repo = TufRepository.open(paths.repositoryDir);
    expect([latestRelease(repo)?.os?.bundle.target, latestRelease(repo)?.model?.name]).toEqual(['os/car-0.2.0-qemu-x86_64.raucb', 'a']);
    expect((await run('publish', 'os', bundle)).err).toMatch(/release 2 already carries OS 0\.2\.0: .*new version/);
    expect((await run('publish', 'os', bundle, bundle)).err).toMatch(/publish os needs exactly one bundle file/);
    expect((await run('publish', 'model', modelDir('b', '{}'), '--keyring', 'x.pem')).err).toMatch(/--keyring applies to publish os only/);

    // signed where the offline folder is; published on the NUC once the folder has left it: init's copy of the CA certificate checks it
    const third = await makeTestBundle(dataDir, 'car-0.3.0.raucb', { keysDir: paths.keysDir, version: '0.3.0' });
    fs.renameSync(path.join(paths.keysDir, 'offline'), path.join(dataDir, 'usb-stick'));
    const viaCopy = await run('publish', 'os', third);
    expect(viaCopy.out).toContain(`signature against ${osKeyringCopy(paths.keysDir)}`);
    expect(viaCopy.out).toMatch(/published release 3 \(os: 0\.3\.0\)/);

    // status: the release's OS, and each car's OS as the NUC recorded its agent's report
    const db = OtaDb.open(paths.databaseFile);
    db.recordOutcome({ car: '7', from: null, to: 3, outcome: 'installed' });
    db.reportOs('7', {
      os: '0.3.0',
      osSlots: { booted: 'B', A: { state: 'good', version: '0.2.0' }, B: { state: 'good', version: '0.3.0' } },
      osUpdate: { version: '0.3.0', outcome: 'good', at: Date.UTC(2026, 11, 7, 18, 0) },
    });
    db.close();
    const status = await run('status');
    expect(status.out).toMatch(/OS 0\.3\.0 for edge-car-qemu-x86_64: os\/car-0\.3\.0\.raucb [0-9a-f]{12}, [\d.]+ kB/);
    expect(status.out).toMatch(/car 7: release 3, running, at .*\n {4}OS 0\.3\.0; slots A good 0\.2\.0, B \(booted\) good 0\.3\.0; last OS update 0\.3\.0: good at 2026-12-07T18:00:00\.000Z \(reported /);
  }, 120_000);
});
