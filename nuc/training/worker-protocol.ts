/** Messages between the training service and its worker process (Node IPC, JSON). */
import type { PipelineSpec } from './pipeline.ts';
import type { ArenaResult, EpochPoint, JobProgress, JobResult } from './types.ts';

export interface StartMessage {
  type: 'start';
  spec: PipelineSpec;
  /** the worker's CPU priority (nice value) */
  nice: number;
}

export type WorkerMessage =
  | { type: 'progress'; progress: JobProgress; epoch?: EpochPoint }
  | { type: 'done'; result: JobResult | ArenaResult }
  | { type: 'error'; message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** A worker message, or undefined for anything else (a worker bug must not take the service down). */
export function parseWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'progress':
      return isObject(value.progress) && typeof value.progress.phase === 'string' ? (value as WorkerMessage) : undefined;
    case 'done':
      return isObject(value.result) && (typeof value.result.model === 'string' || Array.isArray(value.result.entries)) ? (value as WorkerMessage) : undefined;
    case 'error':
      return typeof value.message === 'string' ? (value as WorkerMessage) : undefined;
    default:
      return undefined;
  }
}
