/**
 * Encode and decode the wire format `[topic, header, payload?]`. Decoding never throws: a bad
 * message comes back as a typed rejection with the reason it is counted under.
 */
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

export type DropReason =
  | 'parts'
  | 'topic'
  | 'header-size'
  | 'json'
  | 'version'
  | 'schema'
  | 'payload'
  | 'oversized'
  | 'frame_format'
  | 'frame_size_mismatch';

export type Decoded = { ok: true; message: BusMessage } | { ok: false; reason: DropReason; detail: string };

export interface DecodeLimits {
  /** largest accepted payload; larger messages are dropped as 'oversized' */
  maxPayloadBytes: number;
  maxHeaderBytes: number;
  /** the camera size configured for the cars: a frame of any other size is dropped as 'frame_size_mismatch' */
  cameraSize?: { width: number; height: number };
}

export const DEFAULT_LIMITS: DecodeLimits = { maxPayloadBytes: 8 * 1024 * 1024, maxHeaderBytes: 64 * 1024 };

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
    return reject('schema', `${topicText}: ${where}`);
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
