/** Donkeycar tub v2: write tubs Donkeycar reads, read tubs Donkeycar wrote, edit their deletions and filter, and choose the records to train on (the trainer turns them into samples). */
export { TubWriter, TubWriteError } from './writer.ts';
export type { TubWriterOptions, TubWriteRecord } from './writer.ts';
export { readTub, readManifest, TubError } from './reader.ts';
export type { TubIssue, TubIssueReason, TubManifest, TubReadResult, TubRecord, ReadTubOptions } from './reader.ts';
export { readTubs, trainingRecords, keptByFilter, savedFilterText, splitRecords, NotEnoughRecordsError } from './dataset.ts';
export type { TubsReadResult, SplitOptions, Split } from './dataset.ts';
export { compileFilter, filterFields, FilterError, DEFAULT_TRAIN_FILTER, TRAIN_FILTER_KEY, MAX_FILTER_LENGTH, type RecordFilter } from './filter.ts';
export { listTubs, summarizeTub } from './summary.ts';
export { changeDeletions, saveTrainFilter, TubEditError, type DeletionChange } from './edit.ts';
export type { TubSummary } from './summary.ts';
export { nodeTubFileSystem, createNodeTubFileSystem } from './tub-fs.ts';
export type { TubFileSystem } from './tub-fs.ts';
export {
  DEFAULT_INPUTS,
  DEFAULT_MAX_LEN,
  MANIFEST_FILE,
  TUB_FORMAT_VERSION,
  IMAGE_KEY,
  ANGLE_KEY,
  THROTTLE_KEY,
  MODE_KEY,
  imageFileName,
  catalogFileName,
  catalogManifestName,
  manifestText,
  catalogManifestText,
  pythonJson,
} from './format.ts';
export type { TubInput, TubInputType, CatalogState, CatalogManifest, JsonValue } from './format.ts';
