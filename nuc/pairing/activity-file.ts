/**
 * The proxy's per-key activity on disk (`<keysDir>/activity.json`): what it did with each paired
 * key's messages and subscriptions since it started, and when it last saw each. The proxy runs in
 * its own process and rewrites the file at most once a second when something changed; `npm run bus
 * -- list` and the server's `GET /api/bus/clients` read it. Bounded by the allow-list (the proxy
 * keeps only paired names) and by the fixed lists of reasons.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { GATE_DROP_REASONS, SUBSCRIPTION_REFUSALS, type ClientActivity } from '../../protocol/index.ts';

const Count = Type.Integer({ minimum: 0 });
const reasons = (names: readonly string[]) => Type.Partial(Type.Object(Object.fromEntries(names.map((name) => [name, Count])), { additionalProperties: false }));
const ActivitySchema = Type.Object(
  {
    lastSeen: Type.Optional(Type.Number({ minimum: 0 })),
    messages: Type.Object({ accepted: Count, refused: reasons(GATE_DROP_REASONS) }, { additionalProperties: false }),
    subscriptions: Type.Object({ applied: Count, cancelled: Count, refused: reasons(SUBSCRIPTION_REFUSALS) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
const ActivityFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    /** when the proxy started counting (ms since the epoch) */
    since: Type.Number({ minimum: 0 }),
    /** when it wrote this */
    writtenAt: Type.Number({ minimum: 0 }),
    clients: Type.Record(Type.String({ maxLength: 64 }), ActivitySchema, { maxProperties: 10_000 }),
  },
  { additionalProperties: false },
);
export type ActivityFile = Static<typeof ActivityFileSchema>;
const check = TypeCompiler.Compile(ActivityFileSchema);

export function serializeActivity(since: number, writtenAt: number, clients: Record<string, ClientActivity>): string {
  return `${JSON.stringify({ version: 1, since, writtenAt, clients })}\n`;
}

/** The file's content, or the reason it cannot be used. */
export function parseActivity(text: string): ActivityFile | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (check.Check(data)) return data;
  const first = check.Errors(data).First();
  return `${first?.path || '/'}: ${first?.message ?? 'invalid'}`;
}
