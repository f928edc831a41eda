/**
 * Signing keys for the update repository: ed25519 via node:crypto, one key per TUF role.
 * The root key lives in `offline/` so it can be moved off the NUC (it is needed only to rotate keys);
 * the online keys (targets, snapshot, timestamp) sign every publish. Keys are PEM (PKCS#8) files with
 * mode 0600 in a directory outside the served repository, never in git.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Key, Signature } from '@tufjs/models';
import { canonicalize } from './canonical-json.ts';

export const ONLINE_ROLES = ['targets', 'snapshot', 'timestamp'] as const;
export type OnlineRole = (typeof ONLINE_ROLES)[number];
export type TopRole = 'root' | OnlineRole;

export class KeyError extends Error {
  override name = 'KeyError';
}

/** A role's key pair as the repository needs it: the public half for root.json, a signer for metadata. */
export interface RoleKey {
  readonly role: TopRole;
  /** sha256 of the canonical JSON of the public key, as TUF defines key ids */
  readonly keyId: string;
  readonly publicKey: Key;
  /** the signer @tufjs/models' `Metadata.sign` calls with the canonical bytes of `signed` */
  sign(data: Buffer): Signature;
}

export type OnlineKeys = Record<OnlineRole, RoleKey>;
export type KeySet = Record<TopRole, RoleKey>;

export function keyFile(keysDir: string, role: TopRole): string {
  return role === 'root' ? path.join(keysDir, 'offline', 'root.pem') : path.join(keysDir, 'online', `${role}.pem`);
}

function roleKeyFrom(role: TopRole, privateKey: crypto.KeyObject): RoleKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyError(`the ${role} key is ${privateKey.asymmetricKeyType ?? 'not asymmetric'}, expected ed25519`);
  }
  const jwk = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new KeyError(`the ${role} key has no public part`);
  const publicHex = Buffer.from(jwk.x, 'base64url').toString('hex');
  const keyJson = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
  const keyId = crypto.createHash('sha256').update(canonicalize(keyJson)).digest('hex');
  const publicKey = new Key({ keyID: keyId, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: publicHex } });
  return {
    role,
    keyId,
    publicKey,
    sign: (data) => new Signature({ keyID: keyId, sig: crypto.sign(null, data, privateKey).toString('hex') }),
  };
}

/** A fresh key pair for a role, with its private half as PEM (for storing). */
export function generateRoleKey(role: TopRole): { key: RoleKey; privatePem: string } {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key: roleKeyFrom(role, privateKey), privatePem };
}

export function roleKeyFromPem(role: TopRole, pem: string): RoleKey {
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(pem);
  } catch (error) {
    throw new KeyError(`the ${role} key is not a readable private key: ${(error as Error).message}`);
  }
  return roleKeyFrom(role, privateKey);
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Creates all four keys under keysDir. Refuses to overwrite existing keys (that would orphan every
 * car that trusts the current root) and refuses a keys directory inside the served repository.
 */
export function createKeys(keysDir: string, options: { servedDir?: string } = {}): KeySet {
  if (options.servedDir && (isInside(keysDir, options.servedDir) || isInside(options.servedDir, keysDir))) {
    throw new KeyError(`keys directory ${keysDir} must be outside the served repository ${options.servedDir}`);
  }
  const roles: TopRole[] = ['root', ...ONLINE_ROLES];
  const existing = roles.map((role) => keyFile(keysDir, role)).filter((file) => fs.existsSync(file));
  if (existing.length > 0) throw new KeyError(`keys already exist (${existing.join(', ')}); refusing to overwrite them`);
  const entries = roles.map((role) => {
    const { key, privatePem } = generateRoleKey(role);
    const file = keyFile(keysDir, role);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, privatePem, { mode: 0o600, flag: 'wx' });
    return [role, key] as const;
  });
  return Object.fromEntries(entries) as KeySet;
}

export function loadRoleKey(keysDir: string, role: TopRole): RoleKey {
  const file = keyFile(keysDir, role);
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch {
    throw new KeyError(`no ${role} key at ${file}; run \`npm run deploy -- init\` first`);
  }
  return roleKeyFromPem(role, pem);
}

export function loadOnlineKeys(keysDir: string): OnlineKeys {
  return {
    targets: loadRoleKey(keysDir, 'targets'),
    snapshot: loadRoleKey(keysDir, 'snapshot'),
    timestamp: loadRoleKey(keysDir, 'timestamp'),
  };
}
