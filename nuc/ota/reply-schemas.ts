/**
 * What the release and rollout routes answer, as TypeBox schemas: Fastify serialises each reply
 * through its schema, and /api/openapi.json shows them. Checked against the types at compile time.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { CarState, ReleaseRecord, RolloutEvent } from './ota-db.ts';
import { ROLLOUT_OUTCOMES } from './rollout-event.ts';

const NullableString = (description: string) => Type.Union([Type.String(), Type.Null()], { description });
const NullableVersion = (description: string) => Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description });

const releaseFields = {
  version: Type.Integer({ minimum: 1 }),
  label: Type.String(),
  createdAt: Type.String({ description: 'ISO 8601' }),
  rollbackOf: NullableVersion('the release this one rolled back to, re-published'),
  override: NullableString('set when a model that is not a candidate was shipped anyway: what the override overrode'),
  withdrawn: NullableString('set when cars rolled back from it and none runs it: why'),
};
export const ReleaseSummarySchema = Type.Object(releaseFields);
export const ReleaseRecordSchema = Type.Object({ ...releaseFields, manifest: Type.Unknown({ description: 'the release manifest as published' }) });
export const ReleasesReplySchema = Type.Object({ releases: Type.Array(ReleaseSummarySchema) });

export const RolloutCarSchema = Type.Object({
  car: Type.String(),
  version: NullableVersion('the release the car runs, null before its first install'),
  targetVersion: NullableVersion('the release it is moving to, if any'),
  state: Type.String({ description: "the agent's last reported state" }),
  error: NullableString('why the last update failed'),
  updatedAt: Type.String({ description: 'ISO 8601' }),
});
export const RolloutEventSchema = Type.Object({
  id: Type.Integer(),
  car: Type.String(),
  from: NullableVersion('the release before'),
  to: Type.Integer(),
  outcome: Type.Union(ROLLOUT_OUTCOMES.map((outcome) => Type.Literal(outcome))),
  error: NullableString('why it failed or rolled back'),
  at: Type.String({ description: 'ISO 8601' }),
});
export const RolloutsReplySchema = Type.Object({ cars: Type.Array(RolloutCarSchema), history: Type.Array(RolloutEventSchema, { description: 'newest first' }) });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<Static<typeof ReleaseSummarySchema>, Omit<ReleaseRecord, 'manifest'>>,
  Same<Static<typeof ReleaseRecordSchema>, ReleaseRecord>,
  Same<Static<typeof RolloutCarSchema>, CarState>,
  Same<Static<typeof RolloutEventSchema>, RolloutEvent>,
] = [true, true, true, true];
void agree;
