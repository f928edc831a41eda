/**
 * The pilot model kinds and the frame size each one takes (their layers are defined in trainer/).
 *
 * - `linear`: Donkeycar's KerasLinear, one linear unit per command.
 * - `fast`: the linear structure on a quarter of the pixels, for slow computers and quick loops.
 * - `categorical`: Donkeycar's KerasCategorical, a softmax over bins per command (./categorical.ts).
 * - `memory`: Donkeycar's KerasMemory, the last few commands as a second input (./memory.ts).
 */
export type ModelKind = 'linear' | 'fast' | 'categorical' | 'memory';
export const MODEL_KINDS: readonly ModelKind[] = ['linear', 'fast', 'categorical', 'memory'];

/** [height, width, channels] of the frames a model takes, before any crop (Donkeycar's 120x160, or half that). */
export const MODEL_FRAME_SHAPE: Record<ModelKind, [number, number, number]> = {
  linear: [120, 160, 3],
  fast: [60, 80, 3],
  categorical: [120, 160, 3],
  memory: [120, 160, 3],
};

export function isModelKind(value: unknown): value is ModelKind {
  return typeof value === 'string' && (MODEL_KINDS as readonly string[]).includes(value);
}
