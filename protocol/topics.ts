/**
 * Topic names on the bus: `car/<carId>/<kind>` for a car's messages and `nuc/<service>/<kind>` for
 * the NUC's own. The kind always comes last, so a prefix subscription to `car/7/` can never match
 * `car/70/...`.
 */

export const MESSAGE_KINDS = ['frame', 'view', 'control', 'drive', 'applied', 'telemetry', 'agent', 'metrics', 'sim', 'recording', 'release', 'link', 'calibrate', 'poses', 'reset', 'compose', 'crossing', 'erase'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export type Scope = 'car' | 'nuc';

/**
 * A topic's text as the type checker sees it: the kind is the last segment, so a publisher's
 * `send(carTopic(id, 'drive'), fields)` checks `fields` against the drive header.
 */
export type TopicName<K extends MessageKind = MessageKind> = `${Scope}/${string}/${K}`;

export interface Topic<K extends MessageKind = MessageKind> {
  scope: Scope;
  /** the car id for `car/` topics, the service name for `nuc/` topics */
  id: string;
  kind: K;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const KIND_SET: ReadonlySet<string> = new Set(MESSAGE_KINDS);

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export class TopicError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicError';
  }
}

function checkId(id: string): void {
  if (!isValidId(id)) throw new TopicError(`invalid id ${JSON.stringify(id)}: use 1-32 of A-Z a-z 0-9 _ -`);
}

export function carTopic<K extends MessageKind>(carId: string, kind: K): `car/${string}/${K}` {
  checkId(carId);
  return `car/${carId}/${kind}`;
}

export function nucTopic<K extends MessageKind>(service: string, kind: K): `nuc/${string}/${K}` {
  checkId(service);
  return `nuc/${service}/${kind}`;
}

/** The subscription prefix for everything one car sends: `car/7/` (the trailing slash matters). */
export function carPrefix(carId: string): string {
  checkId(carId);
  return `car/${carId}/`;
}

export function formatTopic<K extends MessageKind>(topic: Topic<K>): TopicName<K> {
  return topic.scope === 'car' ? carTopic(topic.id, topic.kind) : nucTopic(topic.id, topic.kind);
}

/** Parses a topic string; undefined when it is not exactly `<scope>/<id>/<kind>` with known parts. */
export function parseTopic(text: string): Topic | undefined {
  const parts = text.split('/');
  if (parts.length !== 3) return undefined;
  const [scope, id, kind] = parts as [string, string, string];
  if (scope !== 'car' && scope !== 'nuc') return undefined;
  if (!isValidId(id) || !KIND_SET.has(kind)) return undefined;
  return { scope, id, kind: kind as MessageKind };
}
