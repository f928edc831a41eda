/**
 * The bus contract as an AsyncAPI 3.0 document, built from the closed header schemas and the role
 * table: a channel per topic pattern, a message per kind (its header as the payload schema), and
 * operations saying who may send and receive each. Served by the NUC at `/api/asyncapi.json`;
 * `npm run docs:bus` writes a copy to docs/asyncapi.json.
 */
import { HEADER_SCHEMAS } from '../messages.ts';
import type { MessageKind } from '../topics.ts';
import { KIND_NOTES, channelsOf, hasPayload, kindsInOrder } from './kinds.ts';
import { plainSchema } from './schema-fields.ts';
import { WIRE, wireSections } from './wire.ts';

export interface AsyncApiOptions {
  /** the address clients reach the NUC at (`nuc.host`) */
  host?: string;
  publishersPort?: number;
  subscribersPort?: number;
}

type Json = Record<string, unknown>;

const channelId = (address: string): string => address.replaceAll(/[{}]/g, '').replaceAll('/', '-');

function messageOf(kind: MessageKind): Json {
  const note = KIND_NOTES[kind];
  return {
    name: kind,
    title: kind,
    summary: note.summary,
    ...(note.usage ? { description: note.usage } : {}),
    contentType: 'application/json',
    payload: plainSchema(HEADER_SCHEMAS[kind]),
    'x-parts': hasPayload(kind) ? ['topic', 'header (this payload schema)', 'JPEG bytes', 'seal (publishers only)'] : ['topic', 'header (this payload schema)', 'seal (publishers only)'],
  };
}

export function buildAsyncApi(options: AsyncApiOptions = {}): Json {
  const host = options.host ?? 'localhost';
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const kind of kindsInOrder()) {
    messages[kind] = messageOf(kind);
    for (const channel of channelsOf(kind)) {
      const id = channelId(channel.address);
      channels[id] = {
        address: channel.address,
        messages: { [kind]: { $ref: `#/components/messages/${kind}` } },
        ...(channel.parameter ? { parameters: { [channel.parameter]: { description: channel.parameter === 'car' ? 'a car id: 1-32 of A-Z a-z 0-9 _ -' : "a NUC service's name" } } } : {}),
        ...(channel.carLocal ? { description: "car-local: only on the car's own ipc bus; the NUC proxy never forwards it" } : {}),
        'x-publishers': channel.publishers,
        'x-readers': channel.readers,
      };
      if (channel.carLocal) continue;
      operations[`send-${id}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${id}` },
        summary: `publish ${channel.address}`,
        description: `Who may: ${channel.publishers.join('; ')}.`,
        messages: [{ $ref: `#/channels/${id}/messages/${kind}` }],
      };
      operations[`receive-${id}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${id}` },
        summary: `subscribe to ${channel.address}`,
        description: `Who may: ${channel.readers.join('; ')}.`,
        messages: [{ $ref: `#/channels/${id}/messages/${kind}` }],
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'edge-racing NUC bus',
      version: String(WIRE.protocolVersion),
      description: wireSections()
        .map((section) => `## ${section.title}\n\n${section.body}`)
        .join('\n\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      publishers: {
        host: `${host}:${options.publishersPort ?? WIRE.ports.publishers}`,
        protocol: 'zmq',
        description: "the proxy's XSUB socket: publishers (PUB or XPUB, CURVE client) connect here and send sealed messages",
      },
      subscribers: {
        host: `${host}:${options.subscribersPort ?? WIRE.ports.subscribers}`,
        protocol: 'zmq',
        description: "the proxy's XPUB socket: subscribers (XSUB, CURVE client) connect here and send sealed subscriptions",
      },
    },
    channels,
    operations,
    components: { messages },
    'x-wire': WIRE,
  };
}
