/**
 * Socket helpers over zeromq v6: a publisher that stamps headers with a per-topic sequence, and a
 * subscriber whose receive loop validates every message, drops and counts bad ones, and hands good
 * ones to handlers or to latest-wins mailboxes. Both reconnect on their own. Given a bus (endpoints
 * with their security and limits) they connect to its side: as CURVE clients that seal what they
 * send when the bus is secured, and always refusing messages over the bus's size at the socket.
 */
import { Publisher, Subscriber, XSubscriber } from 'zeromq';
import { decode, DEFAULT_LIMITS, encode, socketMessageLimit, type BusMessage, type DecodeLimits } from './codec.ts';
import type { BusEndpoints } from './endpoints.ts';
import { Mailbox } from './mailbox.ts';
import type { FieldsOf, PayloadKind } from './messages.ts';
import { BusCounters } from './metrics.ts';
import type { ClientSecurity } from './security/index.ts';
import type { MessageKind, TopicName } from './topics.ts';

/** The subset of a pino logger the helpers use. */
export interface BusLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const silentLogger: BusLogger = { warn() {}, debug() {} };

/**
 * Reconnect quickly at first, back off to 1 s; heartbeats notice a peer that vanished without a FIN
 * (a Wi-Fi partition) and drop the dead connection, and a connect attempt into a silent network gives
 * up after 1 s instead of waiting out the kernel's SYN retries (minutes), so a healed link is back
 * within about two seconds.
 */
const CONNECTION_OPTIONS = {
  reconnectInterval: 100,
  reconnectMaxInterval: 1000,
  connectTimeout: 1000,
  heartbeatInterval: 1000,
  heartbeatTimeout: 3000,
  linger: 0,
} as const;

/** Where a socket connects: raw endpoints (a local ipc bus, a test), or one side of a bus. */
export type BusTarget = string | readonly string[] | BusEndpoints;

interface ResolvedTarget {
  endpoints: readonly string[];
  security: ClientSecurity | undefined;
  limits: DecodeLimits | undefined;
}

function resolveTarget(target: BusTarget, side: 'publishers' | 'subscribers'): ResolvedTarget {
  if (typeof target === 'string') return { endpoints: [target], security: undefined, limits: undefined };
  if (Array.isArray(target)) return { endpoints: target, security: undefined, limits: undefined };
  const bus = target as BusEndpoints;
  return { endpoints: [bus[side]], security: bus.security, limits: bus.limits };
}

function socketOptions(resolved: ResolvedTarget, limits: DecodeLimits) {
  return { ...CONNECTION_OPTIONS, maxMessageSize: socketMessageLimit(limits), ...resolved.security?.socketOptions() };
}

export interface PublisherOptions {
  /**
   * Messages queued per subscriber before newer ones are dropped. Frame publishers keep this small
   * so a slow consumer cannot queue seconds of video.
   */
  sendHighWaterMark?: number;
  counters?: BusCounters;
}

export class BusPublisher {
  private readonly seqs = new Map<string, number>();
  private pending: Promise<void> = Promise.resolve();
  private closed = false;
  readonly counters: BusCounters;

  private constructor(
    private readonly socket: Publisher,
    counters: BusCounters,
    private readonly security: ClientSecurity | undefined,
  ) {
    this.counters = counters;
  }

  /** Connects to a proxy's XSUB side: a bus's `publishers` endpoint, or the endpoints given. */
  static connect(target: BusTarget, options: PublisherOptions = {}): BusPublisher {
    const resolved = resolveTarget(target, 'publishers');
    const socket = new Publisher({ ...socketOptions(resolved, resolved.limits ?? DEFAULT_LIMITS), sendHighWaterMark: options.sendHighWaterMark ?? 1000 });
    for (const endpoint of resolved.endpoints) socket.connect(endpoint);
    return new BusPublisher(socket, options.counters ?? new BusCounters(), resolved.security);
  }

  /**
   * Encodes and sends; stamps `v`, the topic's next `seq`, and `ts` unless given. The topic's kind
   * decides the fields' type, and a frame or view (only they) takes its JPEG as the payload.
   */
  send<K extends PayloadKind>(topic: TopicName<K>, fields: FieldsOf<K>, payload: Buffer): Promise<void>;
  send<K extends Exclude<MessageKind, PayloadKind>>(topic: TopicName<K>, fields: FieldsOf<K>): Promise<void>;
  send(topic: TopicName, fields: FieldsOf<MessageKind>, payload?: Buffer): Promise<void> {
    const seq = (this.seqs.get(topic) ?? -1) + 1;
    this.seqs.set(topic, seq);
    return this.sendRaw(encode(topic, seq, fields, payload));
  }

  /** Sends already-encoded parts (a bridge forwarding what it received); sealed on a secured bus. */
  sendRaw(parts: Buffer[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.security) parts = [...parts, this.security.sealer.seal(parts)];
    // zeromq allows one send in flight per socket; PUB sends never block, so this chain stays short.
    this.pending = this.pending.then(async () => {
      if (this.closed) return;
      try {
        await this.socket.send(parts);
        this.counters.out++;
      } catch {
        // A send fails only while the socket is closing or the message cannot be queued: count it.
        if (!this.closed) this.counters.drop('send');
      }
    });
    return this.pending;
  }

  async close(): Promise<void> {
    await this.pending;
    this.closed = true;
    this.socket.close();
  }
}

export type MessageHandler<K extends MessageKind = MessageKind> = (message: BusMessage<K>) => void;

export interface SubscriberOptions {
  /** topic prefixes, e.g. `car/1/` or `car/1/control`; an empty string subscribes to everything */
  topics: string[];
  counters?: BusCounters;
  limits?: DecodeLimits;
  log?: BusLogger;
  receiveHighWaterMark?: number;
  /** follow the connections to publisher sides, for `onConnection` */
  watchConnections?: boolean;
}

/**
 * Connections to the publisher sides as the socket's monitor reports them. It must be watching
 * before the socket connects: a handshake that completes before the monitor exists is never told.
 */
class ConnectionWatch {
  private connections = 0;
  private readonly listeners = new Set<(connected: boolean) => void>();

  constructor(socket: Subscriber | XSubscriber) {
    socket.events.on('handshake', () => {
      if (++this.connections === 1) for (const listener of this.listeners) listener(true);
    });
    socket.events.on('disconnect', () => {
      if (this.connections === 0) return;
      if (--this.connections === 0) for (const listener of this.listeners) listener(false);
    });
  }

  get connected(): boolean {
    return this.connections > 0;
  }

  listen(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * How a subscriber tells the proxy what it wants: a plain SUB socket's subscriptions, or, on a
 * secured bus, sealed subscription messages sent through an XSUB socket (the proxy applies only
 * those it can attribute to a paired key allowed to read the topics).
 */
interface SubscriptionSocket {
  readonly socket: Subscriber | XSubscriber;
  subscribe(prefixes: readonly string[]): void;
  unsubscribe(prefixes: readonly string[]): void;
}

function plainSubscriptions(socket: Subscriber): SubscriptionSocket {
  return { socket, subscribe: (prefixes) => socket.subscribe(...prefixes), unsubscribe: (prefixes) => socket.unsubscribe(...prefixes) };
}

function sealedSubscriptions(socket: XSubscriber, security: ClientSecurity, log: BusLogger): SubscriptionSocket {
  let sending: Promise<void> = Promise.resolve();
  // one send at a time per socket; the socket keeps each subscription and resends it on reconnect,
  // and forwards a cancellation only for a subscription it keeps (which is why both carry one seal)
  const send = (prefixes: readonly string[], subscribe: boolean): void => {
    for (const prefix of prefixes) {
      sending = sending.then(() =>
        socket.send(security.sealer.subscription(prefix, subscribe)).catch((error: unknown) => {
          if (!socket.closed) log.warn({ err: error, prefix, subscribe }, 'bus subscription not sent');
        }),
      );
    }
  };
  return { socket, subscribe: (prefixes) => send(prefixes, true), unsubscribe: (prefixes) => send(prefixes, false) };
}

export class BusSubscriber {
  private readonly handlers = new Set<MessageHandler>();
  private readonly mailboxes = new Map<string, Mailbox<BusMessage>>();
  private readonly loop: Promise<void>;
  readonly counters: BusCounters;

  private constructor(
    private readonly subscriptions: SubscriptionSocket,
    private readonly options: SubscriberOptions,
    private readonly limits: DecodeLimits,
    private readonly watch?: ConnectionWatch,
  ) {
    this.counters = options.counters ?? new BusCounters();
    this.loop = this.receiveLoop();
  }

  private get socket(): Subscriber | XSubscriber {
    return this.subscriptions.socket;
  }

  /** Connects to a proxy's XPUB side (a bus's `subscribers` endpoint, or the endpoints given) and starts receiving at once. */
  static connect(target: BusTarget, options: SubscriberOptions): BusSubscriber {
    const resolved = resolveTarget(target, 'subscribers');
    const limits = options.limits ?? resolved.limits ?? DEFAULT_LIMITS;
    const socketSettings = { ...socketOptions(resolved, limits), receiveHighWaterMark: options.receiveHighWaterMark ?? 1000 };
    const subscriptions = resolved.security
      ? sealedSubscriptions(new XSubscriber(socketSettings), resolved.security, options.log ?? silentLogger)
      : plainSubscriptions(new Subscriber(socketSettings));
    const watch = options.watchConnections ? new ConnectionWatch(subscriptions.socket) : undefined;
    for (const endpoint of resolved.endpoints) subscriptions.socket.connect(endpoint);
    subscriptions.subscribe(options.topics);
    return new BusSubscriber(subscriptions, options, limits, watch);
  }

  /**
   * Calls `handler` for every valid message, or with a kind for the messages of that kind only;
   * returns a function that removes it.
   */
  on(handler: MessageHandler): () => void;
  on<K extends MessageKind>(kind: K, handler: MessageHandler<K>): () => void;
  on<K extends MessageKind>(kindOrHandler: K | MessageHandler, handler?: MessageHandler<K>): () => void {
    const each: MessageHandler =
      typeof kindOrHandler === 'function'
        ? kindOrHandler
        : (message) => {
            // `kind` is the discriminant, so a message that passes this check is a BusMessage<K>.
            if (message.kind === kindOrHandler) handler!(message as BusMessage<K>);
          };
    this.handlers.add(each);
    return () => this.handlers.delete(each);
  }

  /** A latest-wins mailbox for one exact topic (created on first use). */
  mailbox<K extends MessageKind>(topic: TopicName<K>): Mailbox<BusMessage<K>> {
    let box = this.mailboxes.get(topic);
    if (!box) {
      box = new Mailbox<BusMessage>();
      this.mailboxes.set(topic, box);
    }
    // A box gets only the messages decoded from its exact topic, whose last segment is K.
    return box as unknown as Mailbox<BusMessage<K>>;
  }

  subscribe(...prefixes: string[]): void {
    this.subscriptions.subscribe(prefixes);
  }

  /**
   * Calls `listener(true)` when the first connection to a publisher side completes its handshake
   * (at once, if one has) and `listener(false)` when the last is lost (closed, or silent past the
   * heartbeat timeout). Needs `watchConnections`.
   */
  onConnection(listener: (connected: boolean) => void): () => void {
    if (!this.watch) throw new Error('onConnection needs a subscriber connected with watchConnections: true');
    const stop = this.watch.listen(listener);
    if (this.watch.connected) listener(true);
    return stop;
  }

  /** Stops the proxy sending what these prefixes matched (prefixes subscribed before, exactly). */
  unsubscribe(...prefixes: string[]): void {
    this.subscriptions.unsubscribe(prefixes);
  }

  private async receiveLoop(): Promise<void> {
    const log = this.options.log ?? silentLogger;
    const limits = this.limits;
    try {
      for await (const parts of this.socket) {
        const decoded = decode(parts, limits);
        if (!decoded.ok) {
          this.counters.drop(decoded.reason);
          log.debug({ reason: decoded.reason, detail: decoded.detail }, 'dropped malformed bus message');
          continue;
        }
        this.counters.in++;
        this.dispatch(decoded.message, log);
      }
    } catch (error) {
      if (!this.socket.closed) log.warn({ err: error }, 'bus receive loop ended');
    }
  }

  private dispatch(message: BusMessage, log: BusLogger): void {
    this.mailboxes.get(message.topicText)?.put(message);
    for (const handler of this.handlers) {
      try {
        handler(message);
      } catch (error) {
        // A handler bug must not stop the loop that every other consumer relies on.
        this.counters.drop('handler');
        log.warn({ err: error, topic: message.topicText }, 'bus message handler threw');
      }
    }
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.loop;
  }
}
