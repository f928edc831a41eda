/** Messages between the training loop and its gradient helper process (advanced serialization). */
import type { BackendName, ModelKind } from '../../model/index.ts';

export interface HelperSetup {
  type: 'setup';
  /** the training loop's backend, so both halves compute alike */
  backend: BackendName;
  kind: ModelKind;
  inputShape: [number, number, number];
  dropout?: number;
  /** memory models: commands in the second input */
  memoryLength?: number;
  /** seeds the helper's dropout masks (a stream of its own, so the two halves differ) */
  dropoutSeed: number;
}

export interface HelperStep {
  type: 'step';
  step: number;
  /** the model's trainable weights now, in order */
  weights: Float32Array[];
  /** the model's inputs: the frames, and a memory model's commands */
  xs: Float32Array[];
  xsShapes: number[][];
  ys: Float32Array[];
  ysShapes: number[][];
}

export type HelperRequest = HelperSetup | HelperStep;

export type HelperReply =
  | { type: 'ready'; backend: string }
  /** a step arrived; its gradients follow */
  | { type: 'received'; step: number }
  | { type: 'gradients'; step: number; grads: Float32Array[]; loss: number }
  | { type: 'error'; message: string };
