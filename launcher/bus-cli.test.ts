import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TufRepository, createKeys, deployPaths } from '../deploy/index.ts';
import { BusKeyStore } from '../nuc/pairing/index.ts';
import { ClientActivityLog, publicKeyOf, readClientKeys } from '../protocol/index.ts';
import { runBusCli } from './bus-cli.ts';

let dataDir: string;
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBusCli([...args, '--data', dataDir], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run bus', () => {
  it('pairs a car: three one-line key files, the update root beside them, the key in the allow-list', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-cli-'));
    const { repositoryDir, keysDir } = deployPaths(dataDir);
    TufRepository.initialize(repositoryDir, createKeys(keysDir, { servedDir: repositoryDir }));
    const out = path.join(dataDir, 'car7-keys');
    const paired = await run('pair', 'car7', '--role', 'car', '--car', '7', '--out', out);
    expect(paired).toMatchObject({ code: 0, err: '' });
    expect(paired.out).toContain('paired car7 (car: car 7)');
    for (const file of ['client.secret', 'client.public', 'nuc.public']) expect(fs.readFileSync(path.join(out, file), 'utf8'), file).toMatch(/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}\n$/);
    expect(fs.statSync(path.join(out, 'client.secret')).mode & 0o777).toBe(0o600);
    const keys = readClientKeys(out);
    expect(publicKeyOf(keys.secretKey)).toBe(keys.publicKey);
    const store = new BusKeyStore(path.join(dataDir, 'keys', 'bus'));
    expect(keys.serverKey).toBe(store.nucKeys().publicKey);
    expect(store.entries()).toEqual([expect.objectContaining({ name: 'car7', role: 'car', car: '7', publicKey: keys.publicKey })]);
    expect(fs.readFileSync(path.join(out, 'root.json'))).toEqual(TufRepository.open(repositoryDir).rootBytes());
    // the same directory is never overwritten, nor the same name paired twice
    expect((await run('pair', 'other', '--role', 'viewer', '--out', out)).err).toMatch(/already holds a client\.secret/);
    expect((await run('pair', 'car7', '--role', 'viewer', '--out', path.join(dataDir, 'x'))).err).toMatch(/car7 is already paired/);
  });

  it('lists names, roles, cars and when each was last seen, and unpairs', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-cli-'));
    expect((await run('list')).out).toMatch(/no keys paired yet/);
    expect((await run('pair', 'pat', '--role', 'driver', '--car', '1', '--car', '2', '--out', path.join(dataDir, 'pat'))).code).toBe(0);
    const viewer = await run('pair', 'phone', '--role', 'viewer', '--out', path.join(dataDir, 'phone'));
    expect(viewer.out).toMatch(/paired phone \(viewer: every car\)/);
    expect((await run('list')).out).toMatch(/no counts yet/);
    const activity = new ClientActivityLog();
    activity.seen('pat', Date.parse('2030-01-02T03:04:05Z'));
    for (let i = 0; i < 4; i++) activity.accepted('pat');
    activity.refused('pat', 'schema');
    activity.refused('pat', 'schema');
    activity.refused('pat', 'not-permitted');
    activity.subscriptionApplied('pat');
    activity.subscriptionRefused('pat', 'subscription-not-permitted');
    // a name no longer paired is not written
    activity.accepted('gone');
    new BusKeyStore(path.join(dataDir, 'keys', 'bus')).writeActivity(Date.parse('2030-01-02T00:00:00Z'), activity.snapshot());
    const listed = (await run('list')).out.split('\n');
    expect(listed[0]).toMatch(/^name\s+role\s+cars\s+paired\s+last seen\s+msgs ok\s+msgs refused\s+subs ok\s+subs refused$/);
    expect(listed.find((l) => l.startsWith('pat'))).toMatch(/^pat\s+driver\s+1,2\s+\S+\s+2030-01-02T03:04:05\.000Z\s+4\s+schema 2, not-permitted 1\s+1\s+subscription-not-permitted 1$/);
    expect(listed.find((l) => l.startsWith('phone'))).toMatch(/^phone\s+viewer\s+-\s+\S+\s+never\s+0\s+-\s+0\s+-$/);
    expect(listed.some((l) => l.startsWith('gone'))).toBe(false);
    expect(listed.at(-1)).toMatch(/counted by the NUC proxy since 2030-01-02T00:00:00\.000Z/);
    const gate = await run('pair', 'line-pi', '--role', 'timing', '--out', path.join(dataDir, 'line-pi'));
    expect(gate.out).toMatch(/paired line-pi \(timing: line crossings\)/);
    expect(gate.out).toMatch(/on the timing gate's host: bus\.clientKeys: /);
    expect(new BusKeyStore(path.join(dataDir, 'keys', 'bus')).entries()).toContainEqual(expect.objectContaining({ name: 'line-pi', role: 'timing' }));
    expect(await run('unpair', 'pat')).toMatchObject({ code: 0, out: expect.stringContaining('unpaired pat (driver: cars 1, 2)') });
    expect((await run('list')).out).not.toMatch(/^pat/m);
    expect(await run('unpair', 'pat')).toMatchObject({ code: 1, err: expect.stringContaining('no key is paired as pat') });
  });

  it.each([
    [['pair', 'x', '--out', 'o'], /--role must be one of car, driver, viewer, timing/],
    [['pair', 'x', '--role', 'timing', '--car', '1', '--out', 'o'], /leave out --car/],
    [['pair', 'x', '--role', 'car', '--out', 'o'], /exactly one car/],
    [['pair', 'x', '--role', 'car', '--car', '1', '--car', '2', '--out', 'o'], /exactly one car/],
    [['pair', 'x', '--role', 'driver', '--out', 'o'], /at least one --car/],
    [['pair', 'x', '--role', 'viewer', '--car', '1', '--out', 'o'], /leave out --car/],
    [['pair', 'x', '--role', 'viewer'], /needs --out/],
    [['pair', 'server', '--role', 'viewer', '--out', 'o'], /one of the NUC's own services/],
    [['pair', 'a b', '--role', 'viewer', '--out', 'o'], /is not valid/],
    [['pair', 'x', '--role', 'car', '--car', 'car/1', '--out', 'o'], /is not a car id/],
    [['pair', 'x', '--role', 'nuc', '--out', 'o'], /--role must be one of/],
    [['rotate'], /unknown command 'rotate'/],
  ])('refuses %j with the usage', async (args, message) => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-cli-'));
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toContain('usage: npm run bus');
    expect(new BusKeyStore(path.join(dataDir, 'keys', 'bus')).entries()).toEqual([]);
  });
});
