import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_KEY_FILES, KeyFileError, generateKeyPair, keyFileText, publicKeyOf, readClientKeys, sharedSecret } from './keys.ts';
import { z85Decode, z85Encode } from './z85.ts';

describe('Z85', () => {
  it('encodes the RFC 32 example and decodes it back', () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe('HelloWorld');
    expect(z85Decode('HelloWorld')).toEqual(bytes);
  });

  it('refuses what is not Z85', () => {
    for (const bad of ['Hell', 'Hello Worl', '#####', 'HelloWorl"']) expect(z85Decode(bad), bad).toBeUndefined();
    expect(() => z85Encode(Buffer.alloc(3))).toThrow(RangeError);
  });
});

describe('CURVE keys', () => {
  it('derive the public half zeromq made, and the same shared secret from both ends', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(publicKeyOf(a.secretKey)).toBe(a.publicKey);
    expect(sharedSecret(a.secretKey, b.publicKey).equals(sharedSecret(b.secretKey, a.publicKey))).toBe(true);
    expect(sharedSecret(a.secretKey, b.publicKey).equals(sharedSecret(a.secretKey, generateKeyPair().publicKey))).toBe(false);
  });

  it('reads a client key directory and names the file that is missing, malformed or mismatched', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bus-keys-'));
    const client = generateKeyPair();
    const server = generateKeyPair();
    const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);
    write(CLIENT_KEY_FILES.secretKey, keyFileText(client.secretKey));
    write(CLIENT_KEY_FILES.publicKey, keyFileText(client.publicKey));
    expect(() => readClientKeys(dir)).toThrow(new KeyFileError(path.join(dir, CLIENT_KEY_FILES.serverKey), 'missing'));
    write(CLIENT_KEY_FILES.serverKey, `${server.publicKey}\n`);
    expect(readClientKeys(dir)).toEqual({ ...client, serverKey: server.publicKey });
    write(CLIENT_KEY_FILES.serverKey, 'short\n');
    expect(() => readClientKeys(dir)).toThrow(/nuc\.public: malformed: a CURVE key is 40 Z85 characters, got 5/);
    write(CLIENT_KEY_FILES.serverKey, keyFileText(server.publicKey));
    write(CLIENT_KEY_FILES.publicKey, keyFileText(server.publicKey));
    expect(() => readClientKeys(dir)).toThrow(/client\.public: is not the public half of client\.secret/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
