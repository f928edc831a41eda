/** Test support for the NUC server: bus messages as its subscriber delivers them, and a feed to push them through. */
import pino from 'pino';
import { decode, encode, parseTopic, type BusMessage, type Decoded, type FieldsOf, type MessageKind } from '../../protocol/index.ts';
import type { MessageFeed, ServerOptions } from '../../nuc/server/app.ts';
import { FleetState } from '../../nuc/server/fleet-state.ts';

export const silentLog = pino({ level: 'silent' });

export function busMessage<K extends MessageKind>(topic: string, fields: FieldsOf<K>, payload?: Buffer, seq = 0): BusMessage {
  const decoded = decode(encode(topic, seq, fields, payload));
  if (!decoded.ok) throw new Error(`test message rejected: ${decoded.detail}`);
  return decoded.message;
}

/**
 * A message as the server's handlers would get it if the codec's closed schemas were not in front
 * of them (they are, at the NUC proxy and in every subscriber), with the codec's verdict on the same
 * bytes: for testing the server's own layer behind the codec.
 */
export function pastTheCodec(topic: string, fields: object, payload?: Buffer): { message: BusMessage; codec: Decoded } {
  const parts = encode(topic, 0, fields as never, payload);
  const parsed = parseTopic(topic);
  if (!parsed) throw new Error(`${topic} is no topic`);
  const header: unknown = JSON.parse(parts[1]!.toString('utf8'));
  const message = { kind: parsed.kind, topic: parsed, topicText: topic, header, parts, ...(payload ? { payload } : {}) } as BusMessage;
  return { message, codec: decode(parts) };
}

export function telemetry(fields: Partial<FieldsOf<'telemetry'>> = {}): FieldsOf<'telemetry'> {
  return {
    mode: 'user',
    angle: 0,
    throttle: 0,
    model: 'expert',
    loop: { count: 1, overruns: 0, p50Ms: 1, p99Ms: 1, maxMs: 1 },
    ...fields,
  };
}

export class FakeFeed implements MessageFeed {
  private readonly handlers = new Set<(message: BusMessage) => void>();
  on(handler: (message: BusMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  emit(message: BusMessage): void {
    for (const handler of this.handlers) handler(message);
  }
}

/** What every test server starts from: a fresh fleet, silent logs, a connected bus, the token and the feed. */
export function serverBasics(token: string, feed: MessageFeed): Pick<ServerOptions, 'fleet' | 'log' | 'metricsIntervalMs' | 'busConnected' | 'token' | 'feed'> {
  return { fleet: new FleetState(), log: silentLog, metricsIntervalMs: 1000, busConnected: () => true, token, feed };
}
