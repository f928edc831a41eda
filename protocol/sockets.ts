/**
 * Socket helpers over zeromq v6: a publisher that stamps headers with a per-topic sequence, and a
 * subscriber whose receive loop validates every message, drops and counts bad ones, and hands good
 * ones to handlers or to latest-wins mailboxes. Both reconnect on their own.
 */
import { Publisher, Subscriber } from 'zeromq';
import { decode, DEFAULT_LIMITS, encode, type BusMessage, type DecodeLimits } from './codec.ts';
import { Mailbox } from './mailbox.ts';
import type { FieldsOf, PayloadKind } from './messages.ts';
import { BusCounters } from './metrics.ts';
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
  ) {
    this.counters = counters;
  }

  /** Connects to a proxy's XSUB side (or binds, for a publisher others connect to). */
  static connect(endpoint: string | string[], options: PublisherOptions = {}): BusPublisher {
    const socket = new Publisher({ ...CONNECTION_OPTIONS, sendHighWaterMark: options.sendHighWaterMark ?? 1000 });
    for (const target of [endpoint].flat()) socket.connect(target);
    return new BusPublisher(socket, options.counters ?? new BusCounters());
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

  /** Sends already-encoded parts (a bridge forwarding what it received). */
  sendRaw(parts: Buffer[]): Promise<void> {
    if (this.closed) return Promise.resolve();
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

  constructor(socket: Subscriber) {
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

export class BusSubscriber {
  private readonly handlers = new Set<MessageHandler>();
  private readonly mailboxes = new Map<string, Mailbox<BusMessage>>();
  private readonly loop: Promise<void>;
  readonly counters: BusCounters;

  private constructor(
    private readonly socket: Subscriber,
    private readonly options: SubscriberOptions,
    private readonly watch?: ConnectionWatch,
  ) {
    this.counters = options.counters ?? new BusCounters();
    this.loop = this.receiveLoop();
  }

  /** Connects to a proxy's XPUB side and starts receiving at once. */
  static connect(endpoint: string | string[], options: SubscriberOptions): BusSubscriber {
    const socket = new Subscriber({ ...CONNECTION_OPTIONS, receiveHighWaterMark: options.receiveHighWaterMark ?? 1000 });
    const watch = options.watchConnections ? new ConnectionWatch(socket) : undefined;
    for (const target of [endpoint].flat()) socket.connect(target);
    socket.subscribe(...options.topics);
    return new BusSubscriber(socket, options, watch);
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
    this.socket.subscribe(...prefixes);
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
    this.socket.unsubscribe(...prefixes);
  }

  private async receiveLoop(): Promise<void> {
    const log = this.options.log ?? silentLogger;
    const limits = this.options.limits ?? DEFAULT_LIMITS;
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
