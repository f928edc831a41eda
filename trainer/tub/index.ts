/** Donkeycar tub v2: write tubs Donkeycar reads, read tubs Donkeycar wrote, and turn them into datasets. */
export { TubWriter, TubWriteError } from './writer.ts';
export type { TubWriterOptions, TubWriteRecord } from './writer.ts';
export { readTub, readManifest, TubError } from './reader.ts';
export type { TubIssue, TubIssueReason, TubManifest, TubReadResult, TubRecord, ReadTubOptions } from './reader.ts';
export { readTubs, filterRecords, splitRecords, NotEnoughRecordsError } from './dataset.ts';
export type { TubsReadResult, RecordFilter, SplitOptions, Split } from './dataset.ts';
export { listTubs, summarizeTub } from './summary.ts';
export { tubSample } from './samples.ts';
export type { TubSummary } from './summary.ts';
export { nodeTubFileSystem, createNodeTubFileSystem } from './tub-fs.ts';
export type { TubFileSystem } from './tub-fs.ts';
export {
  DEFAULT_INPUTS,
  DEFAULT_MAX_LEN,
  TUB_FORMAT_VERSION,
  IMAGE_KEY,
  ANGLE_KEY,
  THROTTLE_KEY,
  MODE_KEY,
  imageFileName,
  catalogFileName,
  catalogManifestName,
} from './format.ts';
export type { TubInput, TubInputType, CatalogState, CatalogManifest, JsonValue } from './format.ts';
