import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readClientKeys, type Identity } from '../../protocol/index.ts';
import { AllowListError } from './allow-list.ts';
import { BusKeyStore, PairingError, pairedCarIds } from './key-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function store(): BusKeyStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-store-'));
  dirs.push(dir);
  return new BusKeyStore(path.join(dir, 'keys', 'bus'));
}
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const car = (id: string): Identity => ({ name: `car-${id}`, role: 'car', car: id });

describe('the bus key store', () => {
  it('makes the NUC key pair once, private to its user', () => {
    const keys = store();
    const pair = keys.ensureNucKeys();
    expect(keys.ensureNucKeys()).toEqual(pair);
    expect(mode(keys.dir)).toBe(0o700);
    for (const file of fs.readdirSync(keys.dir)) expect(mode(path.join(keys.dir, file)), file).toBe(0o600);
  });

  it('pairs, refuses a taken name, unpairs, and lists the paired cars', () => {
    const keys = store();
    const { entry, keys: client } = keys.pair({ name: 'pat', role: 'driver', cars: ['1', '2'] });
    expect(entry).toMatchObject({ name: 'pat', role: 'driver', cars: ['1', '2'], publicKey: client.publicKey });
    expect(client.serverKey).toBe(keys.nucKeys().publicKey);
    expect(() => keys.pair({ name: 'pat', role: 'viewer' })).toThrow(PairingError);
    keys.pair({ name: 'racer', role: 'car', car: '7' });
    keys.ensureOwnClient(car('1'));
    expect(pairedCarIds(keys.dir)).toEqual(['1', '7']);
    expect(keys.unpair('pat')?.name).toBe('pat');
    expect(keys.unpair('pat')).toBeUndefined();
    expect(keys.entries().map((e) => e.name).sort()).toEqual(['car-1', 'racer']);
  });

  it('refuses to write a name or car id that the allow-list could not hold', () => {
    const keys = store();
    expect(() => keys.pair({ name: 'a b', role: 'viewer' })).toThrow(/cannot pair a b: the name "a b" is not/);
    expect(() => keys.pair({ name: 'x', role: 'car', car: '../1' })).toThrow(/cannot pair x: "..\/1" is not a car id/);
    expect(() => keys.pair({ name: 'x', role: 'driver', cars: [] })).toThrow(PairingError);
    expect(keys.entries()).toEqual([]);
  });

  it('keeps an own client\'s keys across starts, and never makes a NUC key pair its clients do not know', () => {
    const keys = store();
    const first = keys.ensureOwnClient(car('1'));
    const allowList = fs.readFileSync(keys.allowListFile, 'utf8');
    expect(keys.ensureOwnClient(car('1'))).toEqual(first);
    expect(fs.readFileSync(keys.allowListFile, 'utf8')).toBe(allowList);
    expect(readClientKeys(keys.ownClientDir('car-1'))).toEqual(first);
    // the NUC's secret is gone while clients hold its public half: stop, never make one behind their back
    fs.rmSync(path.join(keys.dir, 'nuc.secret'));
    fs.rmSync(path.join(keys.dir, 'nuc.public'));
    expect(() => keys.ensureOwnClient(car('1'))).toThrow(/nuc\.secret: missing, but clients were paired with it/);
    // starting over on purpose (the keys directory removed): new keys all round
    fs.rmSync(keys.dir, { recursive: true });
    const again = keys.ensureOwnClient(car('1'));
    expect(again.serverKey).toBe(keys.nucKeys().publicKey);
    expect([again.serverKey, again.publicKey]).not.toContain(first.serverKey);
  });

  it('uses a copied client directory as it is on a host without the NUC\'s secret key', () => {
    const nuc = store();
    const wheel: Identity = { name: 'wheel', role: 'nuc', service: 'wheel' };
    const keys = nuc.ensureOwnClient(wheel);
    const elsewhere = store();
    fs.cpSync(nuc.ownClientDir('wheel'), elsewhere.ownClientDir('wheel'), { recursive: true });
    expect(elsewhere.ensureOwnClient(wheel)).toEqual(keys);
    expect(elsewhere.hasNucKeys()).toBe(false);
  });

  it('names the file and the problem when the allow-list is broken, and never pairs over it', () => {
    const keys = store();
    keys.ensureNucKeys();
    fs.writeFileSync(keys.allowListFile, JSON.stringify({ version: 1, clients: [{ name: 'x', role: 'admin', publicKey: 'k', pairedAt: '' }] }));
    expect(() => keys.entries()).toThrow(AllowListError);
    expect(() => keys.entries()).toThrow(keys.allowListFile);
    expect(() => keys.pair({ name: 'y', role: 'viewer' })).toThrow(AllowListError);
    expect(pairedCarIds(keys.dir)).toEqual([]);
  });
});
