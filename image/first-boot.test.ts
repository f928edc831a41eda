import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CLIENT_KEY_FILES, generateKeyPair } from '../protocol/index.ts';
import { runFirstBoot, type FirstBootPaths } from './first-boot.ts';

let root: string;
let paths: FirstBootPaths;
let said: string[];

function dropProvisioning(yaml: string, car = '7'): void {
  fs.writeFileSync(path.join(paths.boot, 'edge-car.yaml'), yaml);
  const keys = path.join(paths.boot, 'edge-keys');
  fs.mkdirSync(keys, { recursive: true });
  const client = generateKeyPair();
  fs.writeFileSync(path.join(keys, CLIENT_KEY_FILES.secretKey), `${client.secretKey}\n`);
  fs.writeFileSync(path.join(keys, CLIENT_KEY_FILES.publicKey), `${client.publicKey}\n`);
  fs.writeFileSync(path.join(keys, CLIENT_KEY_FILES.serverKey), `${generateKeyPair().publicKey}\n`);
  fs.writeFileSync(path.join(keys, 'identity.json'), JSON.stringify({ name: 'car7', role: 'car', car }));
  fs.writeFileSync(path.join(keys, 'root.json'), JSON.stringify({ signed: { _type: 'root' }, signatures: [] }));
}

const boot = () => runFirstBoot({ paths, defaults: { i2cBus: 0, camera: ['cam'] }, grow: false, chown: false, say: (line) => said.push(line) });

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-first-boot-'));
  const data = path.join(root, 'data');
  paths = { boot: path.join(root, 'boot'), carData: path.join(data, 'edge'), config: path.join(data, 'edge', 'config.yaml'), keys: path.join(data, 'edge', 'keys', 'bus'), root: path.join(data, 'edge', 'keys', 'root.json'), ssh: path.join(data, 'ssh'), etc: path.join(data, 'etc') };
  fs.mkdirSync(paths.boot, { recursive: true });
  said = [];
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('first boot', () => {
  it('moves the secrets to the data partition (0600), writes the configuration and clears the boot partition', () => {
    dropProvisioning('car: "7"\nnuc:\n  host: 10.0.0.2\nwifi:\n  ssid: track\n  psk: passphrase1\nsshKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA me\n');
    expect(boot()).toBe('provisioned');
    const secret = path.join(paths.keys, CLIENT_KEY_FILES.secretKey);
    expect(fs.statSync(secret).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(secret, 'utf8').trim()).toHaveLength(40);
    expect(fs.statSync(path.join(paths.etc, 'wpa_supplicant-wlan0.conf')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(paths.ssh, 'authorized_keys'), 'utf8')).toContain('ssh-ed25519');
    const config = parseYaml(fs.readFileSync(paths.config, 'utf8')) as { nuc: { host: string }; car: { i2c: { bus: number }; agent: { trustedRoot: string } } };
    expect(config.nuc.host).toBe('10.0.0.2');
    expect(config.car.i2c.bus).toBe(0);
    expect(config.car.agent.trustedRoot).toBe(paths.root);
    expect(fs.readdirSync(paths.boot)).toEqual(['edge-car.provisioned.txt']);
    expect(fs.readFileSync(path.join(paths.boot, 'edge-car.provisioned.txt'), 'utf8')).not.toContain('passphrase1');
    expect(said.at(-1)).toMatch(/^EDGE-PROVISIONED car=7 nuc=10\.0\.0\.2 wifi=track ssh=key$/);
  });

  it('keeps the configuration on later boots', () => {
    dropProvisioning('car: "7"\nnuc:\n  host: 10.0.0.2\n');
    expect(boot()).toBe('provisioned');
    expect(boot()).toBe('kept');
    expect(said.at(-1)).toMatch(/^EDGE-PROVISION-KEPT/);
  });

  it('leaves the car unconfigured on bad provisioning, naming the field, and deletes nothing', () => {
    dropProvisioning('car: "7"\nnuc:\n  host: 10.0.0.2\n', '8');
    expect(boot()).toBe('failed');
    expect(said.at(-1)).toMatch(/^EDGE-PROVISION-FAILED car: the keys are bound to car 8, not car 7/);
    expect(fs.existsSync(paths.config)).toBe(false);
    expect(fs.existsSync(paths.keys)).toBe(false);
    expect(fs.existsSync(path.join(paths.boot, 'edge-keys', CLIENT_KEY_FILES.secretKey))).toBe(true);
  });

  it('waits, saying so, when nothing was provisioned', () => {
    expect(boot()).toBe('waiting');
    expect(said.at(-1)).toMatch(/^EDGE-PROVISION-WAITING edge-car\.yaml: missing/);
  });

  it('refuses an oversized file unread', () => {
    dropProvisioning(`car: "7"\nnuc:\n  host: 10.0.0.2\n# ${'x'.repeat(70_000)}\n`);
    expect(boot()).toBe('failed');
    expect(said.at(-1)).toMatch(/edge-car\.yaml: larger than 65536 bytes/);
  });
});
