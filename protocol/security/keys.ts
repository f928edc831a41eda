/**
 * CURVE keys: X25519 key pairs written as 40 Z85 characters (a key file holds one, on one line).
 * zeromq makes the pairs; node:crypto derives a secret key's public half (to check a key file) and
 * the X25519 secret two keys share (the seal's key, seal.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { curveKeyPair } from 'zeromq';
import { z85Decode, z85Encode } from './z85.ts';

export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** What a client socket needs: its own pair and the NUC's public key (the CURVE server key). */
export interface ClientKeys extends CurveKeyPair {
  serverKey: string;
}

/** The files a client's key directory holds (`npm run bus -- pair … --out <dir>` writes them; other tools read them). */
export const CLIENT_KEY_FILES = { secretKey: 'client.secret', publicKey: 'client.public', serverKey: 'nuc.public' } as const;

export class KeyFileError extends Error {
  override name = 'KeyFileError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export function generateKeyPair(): CurveKeyPair {
  return curveKeyPair();
}

/** The 32 bytes of a Z85 CURVE key, or the reason it is not one. */
export function keyBytes(text: string): Buffer | string {
  if (text.length !== 40) return `a CURVE key is 40 Z85 characters, got ${text.length}`;
  return z85Decode(text) ?? 'not Z85 (RFC 32) text';
}

// DER framings of a raw X25519 key (RFC 8410), so node:crypto takes the 32 bytes as they are.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

function privateKeyObject(secret: Buffer): crypto.KeyObject {
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(raw: Buffer): crypto.KeyObject {
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

function mustBeKey(text: string, what: string): Buffer {
  const bytes = keyBytes(text);
  if (typeof bytes === 'string') throw new RangeError(`${what}: ${bytes}`);
  return bytes;
}

/** The public half of a Z85 secret key. */
export function publicKeyOf(secretKey: string): string {
  const jwk = crypto.createPublicKey(privateKeyObject(mustBeKey(secretKey, 'secret key'))).export({ format: 'jwk' });
  return z85Encode(Buffer.from(jwk.x!, 'base64url'));
}

/** The X25519 secret that `secretKey`'s owner and `publicKey`'s owner both compute. */
export function sharedSecret(secretKey: string, publicKey: string | Buffer): Buffer {
  const raw = typeof publicKey === 'string' ? mustBeKey(publicKey, 'public key') : publicKey;
  return crypto.diffieHellman({ privateKey: privateKeyObject(mustBeKey(secretKey, 'secret key')), publicKey: publicKeyObject(raw) });
}

/** Reads one key file: a single line holding a 40-character Z85 key. */
export function readKeyFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new KeyFileError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read (${(error as Error).message})`);
  }
  const key = text.replace(/\r?\n$/, '');
  const bytes = keyBytes(key);
  if (typeof bytes === 'string') throw new KeyFileError(file, `malformed: ${bytes}`);
  return key;
}

/** A key as its file holds it. */
export function keyFileText(key: string): string {
  return `${key}\n`;
}

/** Reads a secret key and its public half, and checks that they belong together. */
export function readKeyPair(secretFile: string, publicFile: string): CurveKeyPair {
  const secretKey = readKeyFile(secretFile);
  const publicKey = readKeyFile(publicFile);
  if (publicKeyOf(secretKey) !== publicKey) throw new KeyFileError(publicFile, `is not the public half of ${path.basename(secretFile)}`);
  return { publicKey, secretKey };
}

/** A client's key directory, as pairing writes it. */
export function readClientKeys(dir: string): ClientKeys {
  const pair = readKeyPair(path.join(dir, CLIENT_KEY_FILES.secretKey), path.join(dir, CLIENT_KEY_FILES.publicKey));
  return { ...pair, serverKey: readKeyFile(path.join(dir, CLIENT_KEY_FILES.serverKey)) };
}
