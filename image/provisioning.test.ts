import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CLIENT_KEY_FILES, generateKeyPair } from '../protocol/index.ts';
import { carConfigYaml, checkProvisioning, parseProvisionFile, wpaSupplicantConf, type PairFiles } from './provisioning.ts';

function pairFiles(car = '7', overrides: Partial<Record<string, string | undefined>> = {}): PairFiles {
  const client = generateKeyPair();
  const nuc = generateKeyPair();
  return {
    [CLIENT_KEY_FILES.secretKey]: `${client.secretKey}\n`,
    [CLIENT_KEY_FILES.publicKey]: `${client.publicKey}\n`,
    [CLIENT_KEY_FILES.serverKey]: `${nuc.publicKey}\n`,
    'identity.json': JSON.stringify({ name: `car${car}`, role: 'car', car }),
    'root.json': JSON.stringify({ signed: { _type: 'root', version: 1 }, signatures: [] }),
    ...overrides,
  };
}

const GOOD = 'car: "7"\nnuc:\n  host: 192.168.1.10\nwifi:\n  ssid: track\n  psk: "secret-passphrase"\nsshKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOk user@laptop\n';

describe('first-boot provisioning checks', () => {
  it('accepts a good edge-car.yaml with the keys paired for that car', () => {
    const result = checkProvisioning(GOOD, pairFiles('7'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.provisioning.file.car).toBe('7');
    expect(result.provisioning.keys.secretKey).toHaveLength(40);
    expect(result.provisioning.root).toContain('"root"');
  });

  it('names the field of each problem in the file, never echoing the passphrase', () => {
    const result = checkProvisioning('car: "7"\nnuc:\n  host: "bad host!"\nwifi:\n  ssid: x\n  psk: short\ncolour: red\n', pairFiles('7'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const fields = result.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['nuc.host', 'wifi.psk']));
    expect(fields.some((f) => f === '(the file)' || f === 'colour')).toBe(true); // the unknown key
    expect(JSON.stringify(result.problems)).not.toContain('short');
  });

  it('refuses malformed YAML and a file that is not a mapping', () => {
    const bad = parseProvisionFile('car: [7\n');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems[0]!.reason).toMatch(/not valid YAML/);
    const list = parseProvisionFile('- 7\n');
    expect(list.ok).toBe(false);
  });

  it('refuses a missing or malformed key, and keys from two pairings', () => {
    const missing = checkProvisioning(GOOD, pairFiles('7', { [CLIENT_KEY_FILES.secretKey]: undefined }));
    expect(missing.ok || missing.problems.map((p) => p.field)).toEqual(['edge-keys/client.secret']);
    const malformed = checkProvisioning(GOOD, pairFiles('7', { [CLIENT_KEY_FILES.serverKey]: 'not a key' }));
    expect(malformed.ok || malformed.problems[0]!.reason).toMatch(/40 Z85 characters/);
    const mixed = checkProvisioning(GOOD, pairFiles('7', { [CLIENT_KEY_FILES.publicKey]: generateKeyPair().publicKey }));
    expect(mixed.ok || mixed.problems[0]!.reason).toMatch(/not the public half/);
  });

  it('refuses a car id the keys are not bound to, naming the car field', () => {
    const result = checkProvisioning(GOOD, pairFiles('8'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([{ field: 'car', reason: 'the keys are bound to car 8, not car 7' }]);
    const driver = checkProvisioning(GOOD, pairFiles('7', { 'identity.json': JSON.stringify({ name: 'wheel', role: 'driver' }) }));
    expect(driver.ok || driver.problems[0]!.reason).toMatch(/for a driver, not a car/);
  });

  it('refuses a root.json that is not TUF root metadata', () => {
    const result = checkProvisioning(GOOD, pairFiles('7', { 'root.json': '{"signed":{"_type":"targets"}}' }));
    expect(result.ok || result.problems[0]!.field).toBe('edge-keys/root.json');
  });

  it('writes the car configuration: real hardware, the NUC, the moved keys and root', () => {
    const result = checkProvisioning(GOOD, pairFiles('7'));
    if (!result.ok) throw new Error('expected ok');
    const config = parseYaml(carConfigYaml(result.provisioning, { dataDir: '/data/edge', keysDir: '/data/edge/keys/bus', rootFile: '/data/edge/keys/root.json' }, { i2cBus: 1, camera: ['cam'] })) as Record<string, unknown>;
    expect(config).toMatchObject({
      dataDir: '/data/edge',
      bus: { security: 'curve', clientKeys: '/data/edge/keys/bus' },
      nuc: { host: '192.168.1.10' },
      car: { i2c: { bus: 1 }, camera: { source: 'mjpeg', command: ['cam'] }, agent: { trustedRoot: '/data/edge/keys/root.json' } },
      launcher: { cars: ['7'] },
    });
  });

  it('quotes Wi-Fi settings for wpa_supplicant', () => {
    expect(wpaSupplicantConf({ ssid: 'track', psk: 'secret-passphrase', country: 'DE' })).toContain('psk="secret-passphrase"');
    expect(() => wpaSupplicantConf({ ssid: 'a"b', psk: 'secret-passphrase' })).toThrow(/printable/);
    const smuggled = checkProvisioning(GOOD.replace('ssid: track', 'ssid: "track\\"\\nnetwork={"'), pairFiles('7'));
    expect(smuggled.ok || smuggled.problems[0]!.field).toBe('wifi.ssid');
  });
});
