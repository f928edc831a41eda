/**
 * Every paired key with what the proxy did with its messages and subscriptions: what `npm run bus
 * -- list` prints and `GET /api/bus/clients` answers (its TypeBox schema is the route's response
 * schema, so the document and the check on what is sent are one).
 */
import { Type, type Static } from '@sinclair/typebox';
import { GATE_DROP_REASONS, ROLES, SUBSCRIPTION_REFUSALS } from '../../protocol/index.ts';
import type { BusKeyStore } from './key-store.ts';

const Count = Type.Integer({ minimum: 0 });
const byReason = (names: readonly string[], description: string) =>
  Type.Partial(Type.Object(Object.fromEntries(names.map((name) => [name, Count])), { additionalProperties: false }), { description });

export const BusClientSchema = Type.Object(
  {
    name: Type.String(),
    role: Type.Union(ROLES.map((role) => Type.Literal(role))),
    cars: Type.Array(Type.String(), { description: "the cars a car or driver key is bound to (empty for nuc and viewer keys)" }),
    service: Type.Optional(Type.String({ description: "a nuc key's service" })),
    pairedAt: Type.String({ description: 'when it was paired (ISO 8601)' }),
    lastSeen: Type.Union([Type.String(), Type.Null()], { description: 'when the proxy last saw it (ISO 8601), null: not since the proxy started' }),
    messages: Type.Object({
      accepted: Type.Integer({ minimum: 0, description: 'messages forwarded' }),
      refused: byReason(GATE_DROP_REASONS, 'messages dropped, by reason (the README\'s "Refusals")'),
    }),
    subscriptions: Type.Object({
      applied: Type.Integer({ minimum: 0 }),
      cancelled: Type.Integer({ minimum: 0 }),
      refused: byReason(SUBSCRIPTION_REFUSALS, 'subscriptions not applied, by reason'),
    }),
  },
  { additionalProperties: false },
);
export type BusClient = Static<typeof BusClientSchema>;

export const BusClientsReplySchema = Type.Object(
  {
    /** null: the proxy has not written its counts (not started, or bus.security none) */
    countingSince: Type.Union([Type.String(), Type.Null()], { description: 'when the proxy started counting (ISO 8601); null: no counts yet' }),
    updatedAt: Type.Union([Type.String(), Type.Null()], { description: 'when the proxy last wrote its counts (about once a second while anything changes)' }),
    problem: Type.Optional(Type.String({ description: 'why the counts could not be read' })),
    clients: Type.Array(BusClientSchema),
  },
  { additionalProperties: false },
);
export type BusClientsReply = Static<typeof BusClientsReplySchema>;

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function busClientsReport(store: BusKeyStore): BusClientsReply {
  const entries = store.entries();
  const { file, problem } = store.activity();
  const clients = entries.map((entry): BusClient => {
    const activity = file?.clients[entry.name];
    return {
      name: entry.name,
      role: entry.role,
      cars: entry.role === 'car' ? [entry.car] : entry.role === 'driver' ? [...entry.cars] : [],
      ...(entry.role === 'nuc' ? { service: entry.service } : {}),
      pairedAt: entry.pairedAt,
      lastSeen: iso(activity?.lastSeen),
      messages: { accepted: activity?.messages.accepted ?? 0, refused: { ...activity?.messages.refused } },
      subscriptions: { applied: activity?.subscriptions.applied ?? 0, cancelled: activity?.subscriptions.cancelled ?? 0, refused: { ...activity?.subscriptions.refused } },
    };
  });
  return { countingSince: iso(file?.since), updatedAt: iso(file?.writtenAt), ...(problem ? { problem } : {}), clients };
}
