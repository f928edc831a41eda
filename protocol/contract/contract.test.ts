import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { HEADER_SCHEMAS, PROTOCOL_VERSION } from '../messages.ts';
import { TOPIC_RULES } from '../security/index.ts';
import { MESSAGE_KINDS } from '../topics.ts';
import { buildAsyncApi } from './asyncapi.ts';
import { channelsOf } from './kinds.ts';
import { renderBusContract } from './markdown.ts';
import { fieldRows, plainSchema } from './schema-fields.ts';
import { REFUSALS, REFUSAL_MEANINGS } from './wire.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document walked by key in assertions
type Json = Record<string, any>;

/** Follows a local `$ref` (`#/a/b`) through the document. */
function resolve(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], document);
}

describe('the AsyncAPI document', () => {
  const document = buildAsyncApi({ host: 'nuc.local', publishersPort: 6000, subscribersPort: 6001 });

  it('is AsyncAPI 3.0 with both proxy sides as servers and the wire constants', () => {
    expect(document.asyncapi).toBe('3.0.0');
    expect(document.servers).toMatchObject({ publishers: { host: 'nuc.local:6000' }, subscribers: { host: 'nuc.local:6001' } });
    expect((document['x-wire'] as Json).protocolVersion).toBe(PROTOCOL_VERSION);
    expect((document['x-wire'] as Json).seal.hkdf).toEqual({ hash: 'sha256', salt: 'edge-racing bus', info: 'seal v1', length: 32 });
  });

  it('has every kind, its header schema as the payload, and every rule of the role table as a channel', () => {
    const messages = (document.components as Json).messages as Json;
    expect(Object.keys(messages).sort()).toEqual([...MESSAGE_KINDS].sort());
    for (const kind of MESSAGE_KINDS) expect(messages[kind].payload).toEqual(plainSchema(HEADER_SCHEMAS[kind]));
    const addresses = Object.values(document.channels as Json).map((channel) => channel.address);
    for (const pattern of Object.keys(TOPIC_RULES)) expect(addresses).toContain(pattern.replace('car/*/', 'car/{car}/').replace('nuc/*/', 'nuc/{service}/'));
  });

  it('has no dangling reference', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else walk(value);
        }
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(MESSAGE_KINDS.length);
    for (const ref of refs) expect(resolve(document, ref), ref).toBeDefined();
  });
});

describe('the README section', () => {
  const markdown = renderBusContract();

  it('has a table for every kind with every field of its schema', () => {
    for (const kind of MESSAGE_KINDS) {
      expect(markdown).toContain(`#### \`${kind}\``);
      for (const row of fieldRows(plainSchema(HEADER_SCHEMAS[kind]))) expect(markdown).toContain(`| \`${row.path}\` |`);
    }
  });

  it('states v, the unit of ts, the seq rule, the seal key length and the slow joiner', () => {
    expect(markdown).toContain(`\`v\`: the integer ${PROTOCOL_VERSION}`);
    expect(markdown).toContain('milliseconds since the Unix epoch');
    expect(markdown).toMatch(/`seq`: an integer ≥ 0 per topic and sender: 0 for the first message/);
    expect(markdown).toContain('salt "edge-racing bus", info "seal v1", length 32 bytes');
    expect(markdown).toContain('receives the one-byte message `0x01`');
  });

  it('means every refusal reason', () => {
    for (const reason of REFUSALS) expect(REFUSAL_MEANINGS[reason], reason).toBeTruthy();
    expect(new Set(REFUSALS).size).toBe(REFUSALS.length);
  });

  it('says which kinds never leave the car', () => {
    expect(channelsOf('drive')).toEqual([expect.objectContaining({ address: 'car/{car}/drive', carLocal: true })]);
    expect(channelsOf('control')[0]!.publishers).toContain('every paired key, for an emergency stop only');
  });
});

describe('a field row', () => {
  it('carries type, unit, bounds and meaning from the schema, through nesting, arrays and records', () => {
    const schema = Type.Object({
      at: Type.Number({ minimum: 0, unit: 'ms', description: 'when' }),
      name: Type.Optional(Type.String({ maxLength: 8 })),
      nested: Type.Object({ deep: Type.Integer({ minimum: -1, maximum: 1 }) }),
      list: Type.Array(Type.Object({ x: Type.Literal('a') }), { maxItems: 3 }),
      named: Type.Record(Type.String({ pattern: '^[a-z]+$' }), Type.Number(), { maxProperties: 4 }),
    });
    expect(fieldRows(plainSchema(schema))).toEqual([
      { path: 'at', type: 'number', required: true, unit: 'ms', bounds: '≥ 0', description: 'when' },
      { path: 'name', type: 'string', required: false, unit: '', bounds: '≤ 8 chars', description: '' },
      { path: 'nested', type: 'object', required: true, unit: '', bounds: '', description: '' },
      { path: 'nested.deep', type: 'integer', required: true, unit: '', bounds: '-1 … 1', description: '' },
      { path: 'list', type: 'array of object', required: true, unit: '', bounds: '≤ 3 items', description: '' },
      { path: 'list[].x', type: '"a"', required: true, unit: '', bounds: '', description: '' },
      { path: 'named', type: 'object (name → value)', required: true, unit: '', bounds: '≤ 4 names', description: '' },
      { path: 'named.<name>', type: 'number', required: false, unit: '', bounds: 'name matches `^[a-z]+$`', description: '' },
    ]);
  });
});
