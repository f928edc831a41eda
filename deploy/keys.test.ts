import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, Timestamp } from '@tufjs/models';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalize } from './canonical-json.ts';
import { createKeys, generateRoleKey, keyFile, loadOnlineKeys, loadRoleKey, roleKeyFromPem } from './keys.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
const tempDir = (): string => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-')));

describe('keys', () => {
  it('derives the TUF key id as the sha256 of the canonical public key', () => {
    const { key, privatePem } = generateRoleKey('targets');
    const json = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: key.publicKey.keyVal['public']! } };
    expect(key.keyId).toBe(crypto.createHash('sha256').update(canonicalize(json)).digest('hex'));
    expect(roleKeyFromPem('targets', privatePem).keyId).toBe(key.keyId);
  });

  it('signs metadata that @tufjs/models verifies, and a different key does not pass', () => {
    const { key } = generateRoleKey('timestamp');
    const md = new Metadata(new Timestamp({ version: 1, specVersion: '1.0.31', expires: '2099-01-01T00:00:00Z' }));
    md.sign((data) => key.sign(data));
    expect(() => key.publicKey.verifySignature(md)).not.toThrow();
    const other = generateRoleKey('timestamp').key;
    expect(() => other.publicKey.verifySignature(md)).toThrow(/no signature/);
  });

  it('keeps the root key apart from the online keys, private to the owner, and never overwrites', () => {
    const keysDir = path.join(tempDir(), 'keys');
    const created = createKeys(keysDir);
    expect(path.dirname(keyFile(keysDir, 'root'))).not.toBe(path.dirname(keyFile(keysDir, 'targets')));
    expect(fs.statSync(keyFile(keysDir, 'root')).mode & 0o077).toBe(0);
    expect(loadRoleKey(keysDir, 'root').keyId).toBe(created.root.keyId);
    expect(loadOnlineKeys(keysDir).timestamp.keyId).toBe(created.timestamp.keyId);
    expect(() => createKeys(keysDir)).toThrow(/refusing to overwrite/);
  });

  it('refuses a keys directory inside the served repository', () => {
    const base = tempDir();
    expect(() => createKeys(path.join(base, 'ota', 'repository', 'keys'), { servedDir: path.join(base, 'ota', 'repository') })).toThrow(/outside the served repository/);
  });

  it('explains a missing or unreadable key', () => {
    const keysDir = tempDir();
    expect(() => loadRoleKey(keysDir, 'targets')).toThrow(/no targets key .* deploy -- init/);
    expect(() => roleKeyFromPem('root', 'not a key')).toThrow(/root key is not a readable private key/);
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => roleKeyFromPem('root', rsa)).toThrow(/expected ed25519/);
  });
});
