/**
 * What the NUC proxy lets through, message by message and subscription by subscription, as pure
 * logic (the proxy does the I/O). With security every message must carry a valid seal from a paired
 * key (seal.ts), decode under the closed schemas, and be one its sender's role may publish
 * (roles.ts); every subscription must be sealed and reach only topics its sender may read. Release
 * hints are rate-limited either way. Whatever is refused is counted under its reason.
 */
import { decode, DROP_REASONS, type DecodeLimits, type DropReason } from '../codec.ts';
import { keyBytes } from './keys.ts';
import { PUBLISH_REFUSALS, publishRefusal, mayReceive, type PairedClient, type PublishRefusal } from './roles.ts';
import { messageSealValid, parseSubscription, sealKeyBetween, splitSealed, subscriptionSealValid } from './seal.ts';

const SEAL_REFUSALS = ['unsealed', 'unknown-key', 'bad-seal'] as const;
/** Why the proxy dropped a message: the seal's reasons, the codec's, the role's, or the hint rate. */
export type GateDropReason = DropReason | (typeof SEAL_REFUSALS)[number] | PublishRefusal | 'release-rate';
export const GATE_DROP_REASONS: readonly GateDropReason[] = [...SEAL_REFUSALS, ...DROP_REASONS, ...PUBLISH_REFUSALS, 'release-rate'];

/** Why a subscription was not applied (nothing is ever sent back: the peer just receives nothing). */
export const SUBSCRIPTION_REFUSALS = ['subscription-unsealed', 'subscription-unknown-key', 'subscription-bad-seal', 'subscription-not-permitted'] as const;
export type SubscriptionRefusal = (typeof SUBSCRIPTION_REFUSALS)[number];

export type Admission =
  | { ok: true; parts: Buffer[]; sender: PairedClient | undefined }
  | { ok: false; reason: GateDropReason; detail: string; sender: PairedClient | undefined };

export type SubscriptionAdmission =
  | { apply: 'subscribe' | 'unsubscribe'; prefix: Buffer; sender: PairedClient }
  /** reason absent: nothing to count (an unsealed unsubscription cannot grant anything) */
  | { apply: 'none'; reason?: SubscriptionRefusal; sender?: PairedClient }
  /** not a subscription at all: the XPUB socket's record of which peer sent what is no longer trustworthy */
  | { apply: 'junk' };

export interface GateOptions {
  limits: DecodeLimits;
  /** release hints closer together than this are dropped */
  releaseHintIntervalMs: number;
}

export interface GateSecurity {
  /** the NUC's secret key: with each client's public key it gives the seal key */
  serverSecretKey: string;
  clients: readonly PairedClient[];
}

interface KnownClient {
  client: PairedClient;
  sealKey: Buffer;
}

export class BusGate {
  private known = new Map<string, KnownClient>();
  private lastReleaseHintAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: GateOptions,
    private readonly security?: GateSecurity,
  ) {
    if (security) this.setClients(security.clients);
  }

  get secure(): boolean {
    return this.security !== undefined;
  }

  /** Replaces the allow-list: a removed key's next message or subscription is refused. */
  setClients(clients: readonly PairedClient[]): void {
    if (!this.security) throw new Error('a gate without security has no clients');
    const known = new Map<string, KnownClient>();
    for (const client of clients) {
      const raw = keyBytes(client.publicKey);
      if (typeof raw === 'string') throw new RangeError(`client ${client.name}: ${raw}`);
      known.set(raw.toString('hex'), { client, sealKey: sealKeyBetween(this.security.serverSecretKey, raw) });
    }
    this.known = known;
  }

  /** The paired client with this raw CURVE public key (ZAP's credential). */
  client(rawPublicKey: Buffer): PairedClient | undefined {
    return this.known.get(rawPublicKey.toString('hex'))?.client;
  }

  /** Checks one message from a publisher; on success `parts` is what subscribers get. */
  admit(parts: Buffer[], now: number): Admission {
    let forward = parts;
    let sender: PairedClient | undefined;
    let sealKey: Buffer | undefined;
    if (this.security) {
      const sealed = splitSealed(parts);
      if (!sealed) return { ok: false, reason: 'unsealed', detail: 'the message carries no seal', sender };
      const known = this.known.get(sealed.seal.senderKey.toString('hex'));
      if (!known) return { ok: false, reason: 'unknown-key', detail: 'sealed by a key that is not paired', sender };
      sender = known.client;
      sealKey = known.sealKey;
      if (!messageSealValid(sealKey, sealed.parts, sealed.seal)) return { ok: false, reason: 'bad-seal', detail: `seal of ${sender.name} does not match the message`, sender };
      forward = sealed.parts;
    }
    const decoded = decode(forward, this.options.limits);
    if (!decoded.ok) return { ok: false, reason: decoded.reason, detail: decoded.detail, sender };
    const { message } = decoded;
    if (sender) {
      const refusal = publishRefusal(sender, message);
      if (refusal) return { ok: false, reason: refusal, detail: `${sender.name} (${sender.role}) may not publish ${message.topicText}`, sender };
    }
    if (message.kind === 'release') {
      if (now - this.lastReleaseHintAt < this.options.releaseHintIntervalMs) {
        return { ok: false, reason: 'release-rate', detail: `release hints are limited to one per ${this.options.releaseHintIntervalMs} ms`, sender };
      }
      this.lastReleaseHintAt = now;
    }
    return { ok: true, parts: forward, sender };
  }

  /**
   * Checks one message an XPUB socket received from a subscriber. Cancellations are applied when
   * sealed and never counted otherwise: a peer going away makes the socket cancel its subscriptions
   * itself, and a cancellation cannot grant anything.
   */
  admitSubscription(parts: readonly Buffer[]): SubscriptionAdmission {
    const request = parts.length === 1 ? parseSubscription(parts[0]!) : undefined;
    if (!request) return { apply: 'junk' };
    const known = request.seal ? this.known.get(request.seal.senderKey.toString('hex')) : undefined;
    const valid = known !== undefined && request.seal !== undefined && subscriptionSealValid(known.sealKey, { ...request, seal: request.seal });
    if (!request.subscribe) return valid ? { apply: 'unsubscribe', prefix: request.prefix, sender: known.client } : { apply: 'none' };
    if (!request.seal) return { apply: 'none', reason: 'subscription-unsealed' };
    if (!known) return { apply: 'none', reason: 'subscription-unknown-key' };
    if (!valid) return { apply: 'none', reason: 'subscription-bad-seal', sender: known.client };
    if (!mayReceive(known.client, request.prefix.toString('utf8'))) return { apply: 'none', reason: 'subscription-not-permitted', sender: known.client };
    return { apply: 'subscribe', prefix: request.prefix, sender: known.client };
  }
}
