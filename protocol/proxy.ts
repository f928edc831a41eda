/**
 * The bus proxy: publishers connect to its XSUB side, subscribers to its XPUB side.
 *
 * - Plain (the car-local ipc bus): messages are forwarded as opaque parts and subscriptions flow
 *   upstream, so publishers only send what someone wants.
 * - Checked (the NUC bus): every message goes through a gate first (closed schemas, the release hint
 *   rate) and what fails is dropped and counted, so nothing malformed reaches any subscriber.
 * - Secured (the NUC bus with `bus.security: curve`): both sides are CURVE servers behind a ZAP
 *   allow-list in the proxy's own zeromq context; every message must carry its sender's seal and be
 *   one the sender's role may publish; the XPUB side runs in manual mode and applies a subscription
 *   only when it is sealed by a key allowed to read every topic it can match. Removing a key renews
 *   (closes and binds again) each side it was connected to: its connections drop, everyone else
 *   reconnects through ZAP at once, and the removed key is refused.
 */
import { Context, Observer, XPublisher, XSubscriber } from 'zeromq';
import { ClientActivityLog, type ClientActivity } from './client-activity.ts';
import { BusCounters } from './metrics.ts';
import {
  BusGate,
  startZapHandler,
  type CurveKeyPair,
  type GateOptions,
  type PairedClient,
  type ZapHandler,
  type ZapRequest,
} from './security/index.ts';
import type { BusLogger } from './sockets.ts';

export interface ProxyOptions {
  /** where publishers connect, e.g. `tcp://0.0.0.0:5560` or `ipc:///…/xsub.ipc` */
  publishersEndpoint: string;
  /** where subscribers connect, e.g. `tcp://0.0.0.0:5559` */
  subscribersEndpoint: string;
  /** per-subscriber queue (messages) before the newest messages are dropped for that subscriber */
  sendHighWaterMark?: number;
  /** per-publisher queue (messages) of what was received and not yet forwarded; when full, that publisher waits */
  receiveHighWaterMark?: number;
  /** a peer sending a larger message part is refused and disconnected by libzmq before it is buffered */
  maxMessageBytes?: number;
  counters?: BusCounters;
  /** check every message before forwarding it (the NUC bus); absent: forward as received */
  checks?: GateOptions;
  /** CURVE, the ZAP allow-list and the seal; needs `checks` */
  security?: ProxySecurity;
  log?: BusLogger;
}

export interface ProxySecurity {
  /** the NUC's key pair: the CURVE server key of both sides */
  serverKeys: CurveKeyPair;
  clients: readonly PairedClient[];
}

/** What the secured proxy did besides forwarding (published as gauges by the proxy service). */
export interface ProxyStats {
  handshakesAllowed: number;
  /** ZAP refusals: keys that are not paired */
  handshakesRefused: number;
  /** handshakes that failed before ZAP: no CURVE (an anonymous peer), a wrong server key */
  handshakesFailed: number;
  subscriptionsApplied: number;
  /** sides closed and bound again (a key removed, or a subscriber that sent garbage) */
  renewals: number;
}

export interface RunningProxy {
  readonly counters: BusCounters;
  readonly stats: ProxyStats;
  /** when each paired client was last seen (a handshake or a message), by name, ms since the epoch */
  lastSeen(): ReadonlyMap<string, number>;
  /** per paired client: messages and subscriptions accepted and refused by reason, by name (empty without security) */
  activity(): Record<string, ClientActivity>;
  /** changes whenever `activity()` would differ */
  activityVersion(): number;
  /** replaces the allow-list (secured proxies only); a removed or changed key's connections are dropped */
  setClients(clients: readonly PairedClient[]): Promise<void>;
  close(): Promise<void>;
}

/** A subscriber that sent something other than a subscription taints its side; it is renewed at most this often. */
const JUNK_RENEWAL_MS = 1000;
const ZMQ_SUBSCRIBE = 6;
const ZMQ_UNSUBSCRIBE = 7;
const DOMAINS = { publishers: 'edge.bus.publishers', subscribers: 'edge.bus.subscribers' } as const;
type Side = keyof typeof DOMAINS;

const silentLogger: BusLogger = { warn() {}, debug() {} };
/** A renewed side binds its port again at once; the closed socket may still hold it for a moment. */
const REBIND_ATTEMPTS = 100;
const REBIND_WAIT_MS = 20;

async function bindAgain(socket: XSubscriber | XPublisher, endpoint: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await socket.bind(endpoint);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= REBIND_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, REBIND_WAIT_MS));
    }
  }
}

/**
 * The per-subscriber queue in messages that keeps it within `bytes` when every message may be as
 * large as `maxMessageBytes` (libzmq bounds queues in messages only); undefined when `bytes` cannot
 * hold even `minimum` messages.
 */
export function subscriberQueueLimit(queue: { messages: number; bytes: number }, maxMessageBytes: number, minimum = 8): number | undefined {
  const limit = Math.min(queue.messages, Math.floor(queue.bytes / maxMessageBytes));
  return limit >= minimum ? limit : undefined;
}

function bindError(options: ProxyOptions, error: unknown): Error {
  return new Error(`bus proxy cannot bind ${options.publishersEndpoint} / ${options.subscribersEndpoint}: ${(error as Error).message}`);
}

function emptyStats(): ProxyStats {
  return { handshakesAllowed: 0, handshakesRefused: 0, handshakesFailed: 0, subscriptionsApplied: 0, renewals: 0 };
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  if (options.security) {
    if (!options.checks) throw new Error('a secured proxy checks every message: give it `checks`');
    return startSecuredProxy(options, options.checks, options.security);
  }
  return startOpenProxy(options);
}

/** The plain and the checked proxy: no CURVE, subscriptions forwarded upstream as libzmq makes them. */
async function startOpenProxy(options: ProxyOptions): Promise<RunningProxy> {
  const counters = options.counters ?? new BusCounters();
  const gate = options.checks ? new BusGate(options.checks) : undefined;
  const limit = options.maxMessageBytes === undefined ? {} : { maxMessageSize: options.maxMessageBytes };
  const fromPublishers = new XSubscriber({ linger: 0, receiveHighWaterMark: options.receiveHighWaterMark ?? 1000, ...limit });
  const toSubscribers = new XPublisher({ linger: 0, sendHighWaterMark: options.sendHighWaterMark ?? 1000, ...limit });
  try {
    await fromPublishers.bind(options.publishersEndpoint);
    await toSubscribers.bind(options.subscribersEndpoint);
  } catch (error) {
    fromPublishers.close();
    toSubscribers.close();
    throw bindError(options, error);
  }
  const log = options.log ?? silentLogger;

  const forward = async (): Promise<void> => {
    for await (const received of fromPublishers) {
      counters.in++;
      let parts = received;
      if (gate) {
        const admission = gate.admit(received, Date.now());
        if (!admission.ok) {
          counters.drop(admission.reason);
          log.debug({ reason: admission.reason, detail: admission.detail }, 'proxy dropped a message');
          continue;
        }
        parts = admission.parts;
      }
      try {
        await toSubscribers.send(parts);
        counters.out++;
      } catch {
        if (toSubscribers.closed) return;
        counters.drop('send');
      }
    }
  };
  const subscriptions = async (): Promise<void> => {
    for await (const parts of toSubscribers) {
      try {
        await fromPublishers.send(parts);
      } catch {
        if (fromPublishers.closed) return;
      }
    }
  };
  const loops = Promise.allSettled([forward(), subscriptions()]);

  return {
    counters,
    stats: emptyStats(),
    lastSeen: () => new Map(),
    activity: () => ({}),
    activityVersion: () => 0,
    setClients() {
      return Promise.reject(new Error('this bus proxy has no security: there is no allow-list to set'));
    },
    async close() {
      fromPublishers.close();
      toSubscribers.close();
      await loops;
    },
  };
}

/** An XPUB socket whose subscriptions the proxy applies itself (manual mode), one received subscription at a time. */
class GatedXPublisher extends XPublisher {
  /** Applies `prefix` to the peer whose subscription message was received last. */
  applySubscription(prefix: Buffer): void {
    this.setStringOption(ZMQ_SUBSCRIBE, prefix);
  }

  cancelSubscription(prefix: Buffer): void {
    this.setStringOption(ZMQ_UNSUBSCRIBE, prefix);
  }
}

async function startSecuredProxy(options: ProxyOptions, checks: GateOptions, security: ProxySecurity): Promise<RunningProxy> {
  const counters = options.counters ?? new BusCounters();
  const log = options.log ?? silentLogger;
  const stats = emptyStats();
  const gate = new BusGate(checks, { serverSecretKey: security.serverKeys.secretKey, clients: security.clients });
  let clients = new Map(security.clients.map((client) => [client.publicKey, client]));
  const activity = new ClientActivityLog();
  /** keys that completed a handshake on each side since it was last bound */
  const connected: Record<Side, Set<string>> = { publishers: new Set(), subscribers: new Set() };

  // A context of its own: the ZAP endpoint is per context, and only this proxy answers on it.
  const context = new Context();
  const authenticate = (request: ZapRequest): { ok: true; userId: string } | { ok: false; reason: string } => {
    const client = request.publicKey ? gate.client(request.publicKey) : undefined;
    if (!client) {
      stats.handshakesRefused++;
      log.debug({ address: request.address, mechanism: request.mechanism }, 'bus handshake refused: key not paired');
      return { ok: false, reason: 'key not paired' };
    }
    stats.handshakesAllowed++;
    const side = (Object.keys(DOMAINS) as Side[]).find((s) => DOMAINS[s] === request.domain);
    if (side) connected[side].add(client.publicKey);
    activity.seen(client.name, Date.now());
    return { ok: true, userId: client.name };
  };
  const zap: ZapHandler = await startZapHandler(context, authenticate, (error) => log.warn({ err: error }, 'ZAP handler failed: handshakes are refused'));

  const serverOptions = (side: Side) => ({
    context,
    linger: 0,
    curveServer: true,
    curveSecretKey: security.serverKeys.secretKey,
    curvePublicKey: security.serverKeys.publicKey,
    zapDomain: DOMAINS[side],
    // fail closed: no handshake succeeds unless the ZAP handler above says so
    zapEnforceDomain: true,
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageSize: options.maxMessageBytes }),
  });
  const observe = (socket: XSubscriber | XPublisher): void => {
    const observer = new Observer(socket);
    for (const event of ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const) observer.on(event, () => stats.handshakesFailed++);
  };

  let fromPublishers!: XSubscriber;
  let toSubscribers!: GatedXPublisher;
  const loops: Promise<void>[] = [];
  let closed = false;

  const forward = async (socket: XSubscriber): Promise<void> => {
    try {
      for await (const received of socket) {
        counters.in++;
        const now = Date.now();
        const admission = gate.admit(received, now);
        if (admission.sender) activity.seen(admission.sender.name, now);
        if (!admission.ok) {
          counters.drop(admission.reason);
          if (admission.sender) activity.refused(admission.sender.name, admission.reason);
          log.debug({ reason: admission.reason, detail: admission.detail, sender: admission.sender?.name }, 'proxy dropped a message');
          continue;
        }
        if (admission.sender) activity.accepted(admission.sender.name);
        try {
          await toSubscribers.send(admission.parts);
          counters.out++;
        } catch {
          // the subscribers' side was renewed or closed while this message was on its way
          if (!closed) counters.drop('send');
        }
      }
    } catch (error) {
      if (!socket.closed) log.warn({ err: error }, 'proxy forwarding loop ended');
    }
  };

  let lastJunkRenewal = Number.NEGATIVE_INFINITY;
  let junkRenewal: NodeJS.Timeout | undefined;
  const renewAfterJunk = (): void => {
    if (junkRenewal) return;
    const wait = Math.max(0, lastJunkRenewal + JUNK_RENEWAL_MS - Date.now());
    junkRenewal = setTimeout(() => {
      junkRenewal = undefined;
      lastJunkRenewal = Date.now();
      void renew('subscribers');
    }, wait);
  };

  const applySubscriptions = async (socket: GatedXPublisher): Promise<void> => {
    // After a message that is no subscription, libzmq's record of which peer sent the next
    // subscription may be off by one: apply nothing more on this socket until it is renewed.
    let tainted = false;
    try {
      for await (const parts of socket) {
        const admission = gate.admitSubscription(parts);
        if (admission.apply === 'junk') {
          counters.drop('subscription-junk');
          if (!tainted) log.warn({}, 'a subscriber sent a message that is no subscription: renewing the subscribers\' side');
          tainted = true;
          renewAfterJunk();
          continue;
        }
        if (admission.apply === 'none') {
          if (admission.reason) {
            counters.drop(admission.reason);
            if (admission.sender) activity.subscriptionRefused(admission.sender.name, admission.reason);
            log.debug({ reason: admission.reason, sender: admission.sender?.name }, 'subscription refused');
          }
          continue;
        }
        if (tainted) {
          counters.drop('subscription-tainted');
          continue;
        }
        activity.seen(admission.sender.name, Date.now());
        if (admission.apply === 'subscribe') {
          socket.applySubscription(admission.prefix);
          stats.subscriptionsApplied++;
          activity.subscriptionApplied(admission.sender.name);
        } else {
          socket.cancelSubscription(admission.prefix);
          activity.subscriptionCancelled(admission.sender.name);
        }
      }
    } catch (error) {
      if (!socket.closed) log.warn({ err: error }, 'proxy subscription loop ended');
    }
  };

  const openPublishers = async (): Promise<void> => {
    const socket = new XSubscriber({ ...serverOptions('publishers'), receiveHighWaterMark: options.receiveHighWaterMark ?? 1000 });
    observe(socket);
    await bindAgain(socket, options.publishersEndpoint);
    // publishers send everything: what reaches whom is decided on the subscribers' side
    await socket.send(Buffer.of(1));
    fromPublishers = socket;
    loops.push(forward(socket));
  };
  const openSubscribers = async (): Promise<void> => {
    const socket = new GatedXPublisher({ ...serverOptions('subscribers'), manual: true, sendHighWaterMark: options.sendHighWaterMark ?? 1000 });
    observe(socket);
    await bindAgain(socket, options.subscribersEndpoint);
    toSubscribers = socket;
    loops.push(applySubscriptions(socket));
  };
  const open: Record<Side, () => Promise<void>> = { publishers: openPublishers, subscribers: openSubscribers };

  let renewing: Promise<void> = Promise.resolve();
  /** Closes one side and binds a fresh socket in its place: every connection on it drops, the allowed reconnect. */
  const renew = (side: Side): Promise<void> => {
    renewing = renewing.then(async () => {
      if (closed) return;
      const old = side === 'publishers' ? fromPublishers : toSubscribers;
      connected[side].clear();
      old.close();
      try {
        await open[side]();
        stats.renewals++;
        log.debug({ side }, 'bus proxy side renewed');
      } catch (error) {
        log.warn({ err: error, side }, 'bus proxy side could not be bound again');
      }
    });
    return renewing;
  };

  try {
    await openPublishers();
    await openSubscribers();
  } catch (error) {
    fromPublishers?.close();
    toSubscribers?.close();
    await zap.close();
    throw bindError(options, error);
  }

  return {
    counters,
    stats,
    lastSeen: () => activity.lastSeen(),
    activity: () => activity.snapshot(),
    activityVersion: () => activity.version,
    async setClients(next) {
      gate.setClients(next);
      activity.retain(new Set(next.map((client) => client.name)));
      const nextByKey = new Map(next.map((client) => [client.publicKey, client]));
      // a key removed, or paired again with another role or cars, loses what it was allowed before
      const dropped = [...clients.values()].filter((client) => JSON.stringify(nextByKey.get(client.publicKey)) !== JSON.stringify(client)).map((c) => c.publicKey);
      clients = nextByKey;
      for (const side of Object.keys(DOMAINS) as Side[]) {
        if (dropped.some((key) => connected[side].has(key))) await renew(side);
      }
    },
    async close() {
      closed = true;
      clearTimeout(junkRenewal);
      await renewing;
      fromPublishers.close();
      toSubscribers.close();
      await zap.close();
      await Promise.allSettled(loops);
    },
  };
}
