/**
 * Control actions a driver or operator takes on a car: drive mode, emergency stop, recording. One
 * schema serves the REST body (Fastify validates it) and the driver socket (checked here).
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DriveModeSchema } from '../../protocol/index.ts';

export const CarActionSchema = Type.Object(
  {
    mode: Type.Optional(DriveModeSchema),
    /** true latches the emergency stop, false clears it */
    estop: Type.Optional(Type.Boolean()),
    /** true starts recording a tub, false stops */
    recording: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type CarAction = Static<typeof CarActionSchema>;

const check = TypeCompiler.Compile(CarActionSchema);

export type ParsedAction = { ok: true; action: CarAction } | { ok: false; error: string };

export function parseCarAction(raw: unknown): ParsedAction {
  if (check.Check(raw)) return { ok: true, action: raw };
  const first = check.Errors(raw).First();
  const where = first?.path ? `${first.path.slice(1)}: ` : '';
  return { ok: false, error: `invalid action: ${where}${first?.message ?? 'expected {mode?, estop?, recording?}'}` };
}
