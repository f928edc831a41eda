/**
 * What the release and rollout routes answer, as TypeBox schemas: Fastify serialises each reply
 * through its schema, and /api/openapi.json shows them. Checked against the types at compile time.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FleetCar } from './fleet.ts';
import type { CarRollout, ReleaseRecord, RolloutEvent } from './ota-db.ts';
import type { RollbackResult } from './rollback.ts';

/** `POST /api/fleet/:car/os-reboot` (202): the car the next release hint lets reboot, into which OS. */
export interface OsRebootResult {
  car: string;
  version: string;
  osReboot: string[];
}
import { OS_SLOT_STATES, OS_UPDATE_OUTCOMES } from '../../protocol/index.ts';
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

const Slot = Type.Union([Type.Literal('A'), Type.Literal('B')]);
const OsSlotSchema = Type.Object({
  state: Type.Union(OS_SLOT_STATES.map((s) => Type.Literal(s)), { description: "RAUC's boot status: good, bad, or inactive (nothing installed yet)" }),
  version: Type.Optional(Type.String({ description: 'the OS version installed in it' })),
});
export const OsSlotsSchema = Type.Object({ booted: Slot, A: OsSlotSchema, B: OsSlotSchema }, { description: 'the root slot it booted from, and both slots' });
export const OsUpdateSchema = Type.Object(
  {
    version: Type.String({ description: 'the OS version the update installs' }),
    outcome: Type.Union(OS_UPDATE_OUTCOMES.map((o) => Type.Literal(o)), { description: 'downloading, installing, pending-reboot, rebooting, trial, good, rolled-back, failed' }),
    reason: Type.Optional(Type.String({ description: 'what went wrong, or what the car found out after a fallback' })),
    at: Type.Number({ description: 'when the outcome last changed (ms since the epoch, the car clock)' }),
    downloadedBytes: Type.Optional(
      Type.Integer({ minimum: 0, unit: 'bytes', description: 'bytes the car downloaded for this OS update: the bundle, plus the chunks its running slot lacked (chunked bundles); absent when unknown' }),
    ),
  },
  { description: 'the last OS update' },
);
export const FleetCarSchema = Type.Object({
  car: Type.String(),
  version: NullableVersion('the release the car runs, null before its first install'),
  label: NullableString("that release's label"),
  targetVersion: NullableVersion('the release it is moving to, if any'),
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      version: NullableVersion('the release that introduced the content the car runs'),
      content: Type.String({ description: 'short content hash of its files' }),
      slot: Type.Union([Slot, Type.Null()]),
    }),
  ),
  model: Type.Union([Type.Object({ name: Type.String(), version: NullableVersion('the release that introduced it') }), Type.Null()]),
  pilotModel: NullableString('the model the pilot reports it has loaded'),
  inferMs: Type.Union([Type.Number({ unit: 'ms' }), Type.Null()]),
  os: NullableString("the car OS version its agent reports (null: not the project's image, or not heard yet)"),
  osSlots: Type.Union([OsSlotsSchema, Type.Null()]),
  osUpdate: Type.Union([OsUpdateSchema, Type.Null()]),
  update: Type.Union([Type.Object({ state: Type.String(), progress: Type.Number({ minimum: 0, maximum: 1 }), release: Type.String(), slot: Slot }), Type.Null()]),
  error: NullableString('the update error'),
  lastSeenMsAgo: Type.Union([Type.Number({ unit: 'ms' }), Type.Null()]),
  previousVersion: NullableVersion('the release a rollback would re-publish'),
  history: Type.Array(Type.Composite([RolloutEventSchema, Type.Object({ override: NullableString('a model shipped on an override'), withdrawn: NullableString('why the release was withdrawn') })]), { description: 'newest first' }),
});
export const FleetReplySchema = Type.Object({ cars: Type.Array(FleetCarSchema) });

export const RollbackReplySchema = Type.Object({
  car: Type.String(),
  from: Type.Integer({ description: 'what the car ran' }),
  rollbackOf: Type.Integer({ description: 'the release whose content is re-published' }),
  release: ReleaseSummarySchema,
});

export const OsRebootReplySchema = Type.Object({
  car: Type.String(),
  version: Type.String({ description: 'the OS version the car reboots into' }),
  osReboot: Type.Array(Type.String(), { description: 'the cars the release hint names (this one included)' }),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<Static<typeof ReleaseSummarySchema>, Omit<ReleaseRecord, 'manifest'>>,
  Same<Static<typeof ReleaseRecordSchema>, ReleaseRecord>,
  Same<Static<typeof RolloutCarSchema>, CarRollout>,
  Same<Static<typeof RolloutEventSchema>, RolloutEvent>,
  Same<Static<typeof FleetCarSchema>, FleetCar>,
  Same<Static<typeof OsRebootReplySchema>, OsRebootResult>,
  Same<Static<typeof RollbackReplySchema>, Omit<RollbackResult, 'release'> & { release: Omit<ReleaseRecord, 'manifest'> }>,
] = [true, true, true, true, true, true, true];
void agree;
