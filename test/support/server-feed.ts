/** Test support for the NUC server: bus messages as its subscriber delivers them, and a feed to push them through. */
import pino from 'pino';
import { decode, encode, type BusMessage, type FieldsOf, type MessageKind } from '../../protocol/index.ts';
import type { MessageFeed } from '../../nuc/server/app.ts';

export const silentLog = pino({ level: 'silent' });

export function busMessage<K extends MessageKind>(topic: string, fields: FieldsOf<K>, payload?: Buffer, seq = 0): BusMessage {
  const decoded = decode(encode(topic, seq, fields, payload));
  if (!decoded.ok) throw new Error(`test message rejected: ${decoded.detail}`);
  return decoded.message;
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
