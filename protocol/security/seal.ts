/**
 * The per-message seal. zeromq.js cannot read the ZAP user id of a received message, and an XSUB or
 * XPUB socket does not say which peer a message or a subscription came from, so every message a
 * client publishes on the NUC bus carries a seal as its last part, and so does every subscription:
 *
 *   seal = 0x01 · the sender's CURVE public key (32 bytes) · HMAC-SHA256(key, content) (32 bytes)
 *   key  = HKDF-SHA256(X25519(client secret, NUC public) = X25519(NUC secret, client public))
 *
 * Only the client and the NUC can compute the key. The seal travels inside the CURVE-encrypted
 * connection to the proxy, which checks it and strips it, so no other peer ever sees one. A message
 * is `[topic, header, payload?, seal]` on the publishers' side and `[topic, header, payload?]` to
 * subscribers. A subscription is `0x01 (or 0x00 to cancel) · prefix · 0x00 · seal`, one seal for both.
 */
import crypto from 'node:crypto';
import { sharedSecret, keyBytes, type ClientKeys } from './keys.ts';

const VERSION = 0x01;
const KEY_BYTES = 32;
const MAC_BYTES = 32;
export const SEAL_BYTES = 1 + KEY_BYTES + MAC_BYTES;
/** The seal key's derivation, as the published contract states it (protocol/contract). */
export const SEAL_KEY_DERIVATION = { hash: 'sha256', salt: 'edge-racing bus', info: 'seal v1', length: KEY_BYTES } as const;
export const SEAL_VERSION = VERSION;
export const SEAL_DOMAINS = { message: 'M', subscription: 'S' } as const;
const MESSAGE_DOMAIN = Buffer.from(SEAL_DOMAINS.message);
const SUBSCRIPTION_DOMAIN = Buffer.from(SEAL_DOMAINS.subscription);

/** The HMAC key a client and the NUC share. */
export function sealKeyBetween(secretKey: string, publicKey: string | Buffer): Buffer {
  const shared = sharedSecret(secretKey, publicKey);
  const { hash, salt, info, length } = SEAL_KEY_DERIVATION;
  return Buffer.from(crypto.hkdfSync(hash, shared, salt, info, length));
}

function messageMac(key: Buffer, parts: readonly Buffer[]): Buffer {
  const hmac = crypto.createHmac('sha256', key).update(MESSAGE_DOMAIN);
  const length = Buffer.alloc(4);
  for (const part of parts) {
    length.writeUInt32BE(part.length);
    hmac.update(length).update(part);
  }
  return hmac.digest();
}

/**
 * Covers the prefix, not the subscribe/cancel byte: an XSUB socket forwards a cancellation only when
 * the bytes after that byte are a subscription it keeps, so both must carry the same seal. A
 * cancellation grants nothing, and the proxy applies one only to the connection it came in on.
 */
function subscriptionMac(key: Buffer, prefix: Buffer): Buffer {
  return crypto.createHmac('sha256', key).update(SUBSCRIPTION_DOMAIN).update(prefix).digest();
}

function sealOf(senderKey: Buffer, mac: Buffer): Buffer {
  return Buffer.concat([Buffer.of(VERSION), senderKey, mac]);
}

/** A client's side: seals what it publishes and the subscriptions it sends. */
export class Sealer {
  private readonly senderKey: Buffer;
  private readonly key: Buffer;

  constructor(keys: ClientKeys) {
    const raw = keyBytes(keys.publicKey);
    if (typeof raw === 'string') throw new RangeError(`client public key: ${raw}`);
    this.senderKey = raw;
    this.key = sealKeyBetween(keys.secretKey, keys.serverKey);
  }

  /** The seal part for a message's parts (appended after them). */
  seal(parts: readonly Buffer[]): Buffer {
    return sealOf(this.senderKey, messageMac(this.key, parts));
  }

  /** The whole (un)subscription message for an XSUB socket. */
  subscription(prefix: string | Buffer, subscribe = true): Buffer {
    const bytes = Buffer.from(prefix);
    return Buffer.concat([Buffer.of(subscribe ? 1 : 0), bytes, Buffer.of(0), sealOf(this.senderKey, subscriptionMac(this.key, bytes))]);
  }
}

export interface Seal {
  /** the sender's CURVE public key, raw */
  senderKey: Buffer;
  mac: Buffer;
}

function readSeal(bytes: Buffer): Seal | undefined {
  if (bytes.length !== SEAL_BYTES || bytes[0] !== VERSION) return undefined;
  return { senderKey: bytes.subarray(1, 1 + KEY_BYTES), mac: bytes.subarray(1 + KEY_BYTES) };
}

/** A message's seal and the parts it covers; undefined when its last part is not a seal. */
export function splitSealed(parts: readonly Buffer[]): { seal: Seal; parts: Buffer[] } | undefined {
  if (parts.length < 2) return undefined;
  const seal = readSeal(parts[parts.length - 1]!);
  return seal ? { seal, parts: parts.slice(0, -1) } : undefined;
}

export function messageSealValid(key: Buffer, parts: readonly Buffer[], seal: Seal): boolean {
  return crypto.timingSafeEqual(messageMac(key, parts), seal.mac);
}

export interface SubscriptionRequest {
  subscribe: boolean;
  prefix: Buffer;
  /** absent: an unsealed subscription (a plain SUB socket's), which is never applied */
  seal?: Seal;
}

/** Reads a subscription message as an XPUB socket receives it; undefined when it is not one. */
export function parseSubscription(message: Buffer): SubscriptionRequest | undefined {
  if (message.length < 1 || (message[0] !== 0 && message[0] !== 1)) return undefined;
  const subscribe = message[0] === 1;
  const sealAt = message.length - SEAL_BYTES;
  const seal = sealAt >= 2 && message[sealAt - 1] === 0 ? readSeal(message.subarray(sealAt)) : undefined;
  if (!seal) return { subscribe, prefix: message.subarray(1) };
  return { subscribe, prefix: message.subarray(1, sealAt - 1), seal };
}

export function subscriptionSealValid(key: Buffer, request: SubscriptionRequest & { seal: Seal }): boolean {
  return crypto.timingSafeEqual(subscriptionMac(key, request.prefix), request.seal.mac);
}
