/**
 * Encode and decode the wire format `[topic, header, payload?]`. Decoding never throws: a bad
 * message comes back as a typed rejection with the reason it is counted under.
 */
import { ValueErrorType } from '@sinclair/typebox/errors';
import { HEADER_SCHEMAS, PAYLOAD_KINDS, PROTOCOL_VERSION, headerValidator, type FieldsOf, type HeaderOf, type PayloadKind } from './messages.ts';
import { parseTopic, type MessageKind, type Topic } from './topics.ts';
import { checkPicture } from './picture-check.ts';

/** A frame or view always carries its JPEG bytes; no other kind carries any. */
type PayloadOf<K extends MessageKind> = K extends PayloadKind ? { payload: Buffer } : { payload?: undefined };

/**
 * One valid message, discriminated by `kind`: checking `message.kind === 'control'` narrows
 * `header` to the control header. `BusMessage` alone is the union of every kind.
 */
export type BusMessage<K extends MessageKind = MessageKind> = K extends MessageKind
  ? {
      kind: K;
      topic: Topic<K>;
      /** the topic as it came over the wire, e.g. `car/1/frame` */
      topicText: string;
      header: HeaderOf<K>;
      /** the parts as received, so a bridge can forward them without re-encoding */
      parts: Buffer[];
    } & PayloadOf<K>
  : never;

/** Why the codec refused a message; each is counted under its name (`droppedBy`). */
export const DROP_REASONS = [
  'parts',
  'topic',
  'header-size',
  'depth',
  'json',
  'version',
  'unknown-field',
  'schema',
  'payload',
  'oversized',
  'frame_format',
  'frame_size_mismatch',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Decoded = { ok: true; message: BusMessage } | { ok: false; reason: DropReason; detail: string };

export interface DecodeLimits {
  /** largest accepted payload; larger messages are dropped as 'oversized' */
  maxPayloadBytes: number;
  maxHeaderBytes: number;
  /** the camera size configured for the cars: a frame of any other size is dropped as 'frame_size_mismatch' */
  cameraSize?: { width: number; height: number };
}

/** The largest header any kind needs is a few hundred bytes; this is room, not a target. */
export const MAX_HEADER_BYTES = 64 * 1024;
export const DEFAULT_LIMITS: DecodeLimits = { maxPayloadBytes: 1024 * 1024, maxHeaderBytes: MAX_HEADER_BYTES };

/**
 * Nesting a header may have (the deepest valid one, metrics → loops → a loop, is 3): checked on the
 * bytes before JSON.parse, so no parser or later encoder ever walks a deep structure from outside.
 */
export const MAX_HEADER_DEPTH = 4;

/** ZeroMQ's maximum message size for a socket carrying messages within these limits (it applies per part). */
export function socketMessageLimit(limits: DecodeLimits): number {
  return limits.maxPayloadBytes + limits.maxHeaderBytes;
}

/** The deepest `{`/`[` nesting in JSON text, stopping early once it exceeds `limit`. */
function nestingExceeds(json: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i]!;
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > limit) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}

export function encode<K extends MessageKind>(topic: string, seq: number, fields: FieldsOf<K>, payload?: Buffer): Buffer[] {
  const header = { ...fields, v: PROTOCOL_VERSION, seq, ts: fields.ts ?? Date.now() };
  const parts: Buffer[] = [Buffer.from(topic), Buffer.from(JSON.stringify(header))];
  if (payload) parts.push(payload);
  return parts;
}

function reject(reason: DropReason, detail: string): Decoded {
  return { ok: false, reason, detail };
}

export function decode(parts: Buffer[], limits: DecodeLimits = DEFAULT_LIMITS): Decoded {
  if (parts.length < 2 || parts.length > 3) return reject('parts', `expected 2 or 3 parts, got ${parts.length}`);
  const [topicPart, headerPart, payload] = parts as [Buffer, Buffer, Buffer | undefined];
  const topicText = topicPart.toString('utf8');
  const topic = parseTopic(topicText);
  if (!topic) return reject('topic', `unknown topic ${JSON.stringify(topicText.slice(0, 80))}`);
  if (headerPart.length > limits.maxHeaderBytes) {
    return reject('header-size', `${topicText}: header of ${headerPart.length} bytes exceeds ${limits.maxHeaderBytes}`);
  }
  if (payload && payload.length > limits.maxPayloadBytes) {
    return reject('oversized', `${topicText}: payload of ${payload.length} bytes exceeds ${limits.maxPayloadBytes}`);
  }
  const wantsPayload = PAYLOAD_KINDS.has(topic.kind);
  if (wantsPayload !== (payload !== undefined)) {
    return reject('payload', `${topicText}: ${wantsPayload ? 'missing' : 'unexpected'} payload`);
  }
  if (nestingExceeds(headerPart, MAX_HEADER_DEPTH)) return reject('depth', `${topicText}: header nested deeper than ${MAX_HEADER_DEPTH}`);
  let header: unknown;
  try {
    header = JSON.parse(headerPart.toString('utf8'));
  } catch (error) {
    return reject('json', `${topicText}: header is not JSON (${(error as Error).message})`);
  }
  if (typeof header === 'object' && header !== null && typeof (header as { v?: unknown }).v === 'number') {
    const v = (header as { v: number }).v;
    if (v > PROTOCOL_VERSION) return reject('version', `${topicText}: header v${v} is newer than v${PROTOCOL_VERSION}`);
  }
  const check = headerValidator(topic.kind);
  if (!check.Check(header)) {
    const first = check.Errors(header).First();
    const where = first ? `${first.path || '/'}: ${first.message}` : 'invalid';
    const unknownField = first?.type === ValueErrorType.ObjectAdditionalProperties;
    return reject(unknownField ? 'unknown-field' : 'schema', `${topicText}: ${where}`);
  }
  if (payload) {
    const refusal = checkPicture(topic.kind, header as { width: number; height: number }, payload, limits.cameraSize);
    if (refusal) return reject(refusal.reason, `${topicText}: ${refusal.detail}`);
  }
  const message: { kind: MessageKind; topic: Topic; topicText: string; header: unknown; parts: Buffer[]; payload?: Buffer } = {
    kind: topic.kind,
    topic,
    topicText,
    header,
    parts,
  };
  if (payload) message.payload = payload;
  // The header passed the schema of `topic.kind` and the payload check above matched the kind;
  // the checker cannot correlate those by itself.
  return { ok: true, message: message as BusMessage };
}

export { HEADER_SCHEMAS };
