/** The pilot model kinds and the frame size each one takes (their layers are defined in trainer/). */
export type ModelKind = 'linear' | 'fast';
export const MODEL_KINDS: readonly ModelKind[] = ['linear', 'fast'];

/** [height, width, channels] of the frames a model takes, before any crop. */
export const MODEL_FRAME_SHAPE: Record<ModelKind, [number, number, number]> = {
  linear: [120, 160, 3],
  fast: [60, 80, 3],
};
