/**
 * The training recipe, one home for the CLI (`npm run train`) and the NUC's training jobs: a seeded
 * 80/20 split of the records, the samples (a memory model's with their history), the backend, and a
 * trained model with the metadata to save beside it.
 */
import { modelMetadata, type BackendInfo, type BackendLog, type BackendName, type ModelMetadata } from '../model/index.ts';
import { splitRecords, type TubRecord } from '../tub/index.ts';
import { selectTrainingBackend } from './backend.ts';
import type { Sample } from './dataset.ts';
import { trainModel, type TrainOptions, type TrainResult } from './train.ts';
import { tubSamples } from './tub-samples.ts';

/** The share of records held out to validate on (Donkeycar's train_test_split 0.8). */
export const VALIDATION_FRACTION = 0.2;

export interface RecipeOptions extends Omit<TrainOptions, 'train' | 'validation' | 'seed'> {
  /** the records kept by the tubs' filters, in recording order */
  records: readonly TubRecord[];
  seed: number;
  /** where the model was trained from, kept in its metadata */
  tubs: readonly string[];
  backend?: BackendName;
  backendLog?: BackendLog;
  /** once the split is made, before the first epoch */
  onSplit?: (split: { train: number; validation: number }) => void;
}

export interface RecipeResult extends TrainResult {
  metadata: ModelMetadata;
  backend: BackendInfo;
  /** the held-out samples, e.g. for the validation loss after training */
  validation: Sample[];
}

export async function trainFromRecords(options: RecipeOptions): Promise<RecipeResult> {
  const { records, tubs, backend: preferred, backendLog, onSplit, ...train } = options;
  const split = splitRecords(records, { validationFraction: VALIDATION_FRACTION, seed: options.seed });
  const backend = await selectTrainingBackend(preferred, backendLog);
  const memory = options.kind === 'memory' ? modelMetadata({ kind: 'memory', backend: backend.name }).memory : undefined;
  const trainSamples = tubSamples(split.train, memory, records);
  const validation = tubSamples(split.validation, memory, records);
  onSplit?.({ train: trainSamples.length, validation: validation.length });
  const result = await trainModel({ ...train, train: trainSamples, validation });
  const metadata = modelMetadata({ ...result.description, tubs: [...tubs] });
  return { ...result, metadata, backend, validation };
}
