/**
 * What the calibration page asks of a car's actuator: one request per action of Donkeycar-style
 * calibration (enter, set, save, exit), with raw 12-bit counts, and the bus fields it becomes.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FieldsOf } from '../../protocol/index.ts';

export type CalibrateFields = FieldsOf<'calibrate'>;
/** Where calibrate messages go: the bus publisher in the service, a recorder in tests. */
export type CalibrateSink = (car: string, fields: CalibrateFields) => void;

const Count12 = Type.Integer({ minimum: 0, maximum: 4095 });
const closed = { additionalProperties: false } as const;
const Counts = { steeringCount: Type.Optional(Count12), throttleCount: Type.Optional(Count12) };

/** One request per action; a save carries all five counts (the actuator refuses anything less). */
export const CalibrateRequestSchema = Type.Union([
  Type.Object({ action: Type.Literal('enter'), ...Counts }, closed),
  Type.Object({ action: Type.Literal('set'), ...Counts }, { ...closed, minProperties: 2 }),
  Type.Object(
    {
      action: Type.Literal('save'),
      steering: Type.Object({ leftCount: Count12, rightCount: Count12 }, closed),
      throttle: Type.Object({ forwardCount: Count12, stoppedCount: Count12, reverseCount: Count12 }, closed),
    },
    closed,
  ),
  Type.Object({ action: Type.Literal('exit') }, closed),
]);
export type CalibrateRequest = Static<typeof CalibrateRequestSchema>;
