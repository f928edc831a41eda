/**
 * Reads tub v2 tubs, ours and Donkeycar's. A tub whose manifest cannot be trusted (missing, malformed,
 * a newer format) is refused with a TubError naming it; a bad record (truncated or unparseable line,
 * missing image, missing steering/throttle) is skipped and reported as a TubIssue, and reading goes on.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ANGLE_KEY,
  IMAGE_KEY,
  IMAGES_DIR,
  MANIFEST_FILE,
  MODE_KEY,
  THROTTLE_KEY,
  TUB_FORMAT_VERSION,
  catalogManifestName,
  type CatalogState,
  type JsonValue,
} from './format.ts';

export type TubIssueReason =
  | 'empty-tub'
  /** the whole tub could not be read (readTubs only) */
  | 'refused-tub'
  | 'missing-catalog'
  | 'bad-catalog-manifest'
  | 'truncated-line'
  | 'unparseable-line'
  | 'missing-image'
  | 'bad-image-name'
  | 'missing-value';

/** A problem with one record or one catalog; the record (or catalog) is skipped. */
export interface TubIssue {
  tub: string;
  reason: TubIssueReason;
  /** the record's index, when the problem is one record */
  index?: number;
  catalog?: string;
  /** 1-based line in the catalog */
  line?: number;
  /** a sentence naming the tub, the record and what was wrong */
  message: string;
}

export interface TubRecord {
  /** the tub's folder */
  tub: string;
  index: number;
  sessionId: string | undefined;
  timestampMs: number | undefined;
  /** absolute path of the camera image */
  imagePath: string;
  angle: number;
  throttle: number;
  /** 'user', 'local_angle', 'local' (Donkeycar's modes; 'user' when the record has none) */
  mode: string;
  /** the catalog record as stored, for fields beyond the four above */
  values: Record<string, JsonValue>;
}

export interface TubManifest {
  inputs: string[];
  types: string[];
  metadata: Record<string, JsonValue>;
  manifestMetadata: Record<string, JsonValue>;
  catalog: CatalogState;
}

export interface TubReadResult {
  tub: string;
  manifest: TubManifest;
  records: TubRecord[];
  issues: TubIssue[];
  /** records skipped because they were bad (each has an issue) */
  skipped: number;
  /** records marked deleted */
  deleted: number;
  /** with `includeDeleted`: the records marked deleted that still read, in index order */
  deletedRecords?: TubRecord[];
}

export interface ReadTubOptions {
  /** check that every record's image exists (default true; summaries skip it) */
  checkImages?: boolean;
  /** also read the records marked deleted (the tub editor shows them to restore); training never does */
  includeDeleted?: boolean;
}

export class TubError extends Error {
  constructor(
    readonly tub: string,
    readonly reason: 'not-a-tub' | 'tub-v1' | 'bad-manifest' | 'newer-format',
    detail: string,
  ) {
    super(`tub ${tub}: ${detail}`);
    this.name = 'TubError';
  }
}

export async function readTub(dir: string, options: ReadTubOptions = {}): Promise<TubReadResult> {
  const tub = path.resolve(dir);
  const manifest = await readManifest(tub);
  const deletedSet = new Set(manifest.catalog.deleted_indexes);
  const images = options.checkImages === false ? undefined : await listImages(tub);
  const result: TubReadResult = { tub, manifest, records: [], issues: [], skipped: 0, deleted: 0, ...(options.includeDeleted ? { deletedRecords: [] } : {}) };
  const issue = (entry: Omit<TubIssue, 'tub' | 'message'>, detail: string) => {
    const where = entry.index === undefined ? entry.catalog : `record ${entry.index}${entry.catalog ? ` (${entry.catalog} line ${entry.line})` : ''}`;
    result.issues.push({ tub, ...entry, message: `tub ${tub}: ${where ? `${where}: ` : ''}${detail}` });
  };

  let nextIndex = 0;
  for (const catalog of manifest.catalog.paths) {
    const lines = await readCatalogLines(tub, catalog);
    if (lines === undefined) {
      issue({ reason: 'missing-catalog', catalog }, 'catalog file is missing; its records are skipped');
      continue;
    }
    const startIndex = await readStartIndex(tub, catalog, (detail) => issue({ reason: 'bad-catalog-manifest', catalog }, detail));
    nextIndex = startIndex ?? nextIndex;
    for (const [lineNumber, { text, terminated }] of lines.entries()) {
      const index = nextIndex++;
      if (deletedSet.has(index)) {
        result.deleted++;
        // Donkeycar never reads a deleted record, so a bad one is no issue; the editor lists the good ones
        const record = result.deletedRecords ? parseRecord(text) : undefined;
        if (record && typeof record !== 'string' && !checkRecord(record, images)) result.deletedRecords!.push(toTubRecord(tub, index, record));
        continue;
      }
      const at = { index, catalog, line: lineNumber + 1 };
      const record = parseRecord(text);
      if (typeof record === 'string') {
        result.skipped++;
        if (terminated) issue({ reason: 'unparseable-line', ...at }, `catalog line is not a JSON record (${record})`);
        else issue({ reason: 'truncated-line', ...at }, 'catalog line is cut short (the writer stopped mid-record)');
        continue;
      }
      const problem = checkRecord(record, images);
      if (problem) {
        result.skipped++;
        issue({ reason: problem.reason, ...at }, problem.detail);
        continue;
      }
      result.records.push(toTubRecord(tub, index, record));
    }
  }
  if (result.records.length === 0 && result.skipped === 0) {
    issue({ reason: 'empty-tub' }, result.deleted > 0 ? `all ${result.deleted} records are marked deleted` : 'the tub has no records');
  }
  return result;
}

export async function readManifest(tub: string): Promise<TubManifest> {
  let text: string;
  try {
    text = await readFile(path.join(tub, MANIFEST_FILE), 'utf8');
  } catch {
    const v1 = await readFile(path.join(tub, 'meta.json'), 'utf8').then(
      () => true,
      () => false,
    );
    if (v1) throw new TubError(tub, 'tub-v1', "is a Donkeycar tub v1 (meta.json); convert it to v2 with Donkeycar's convert_to_tub_v2.py");
    throw new TubError(tub, 'not-a-tub', `has no ${MANIFEST_FILE}; not a tub v2 folder`);
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 5) throw new TubError(tub, 'bad-manifest', `${MANIFEST_FILE} has ${lines.length} lines, expected 5 (inputs, types, metadata, manifest metadata, catalogs)`);
  const parsed: unknown[] = [];
  for (const [i, line] of lines.slice(0, 5).entries()) {
    try {
      parsed.push(JSON.parse(line));
    } catch (error) {
      throw new TubError(tub, 'bad-manifest', `${MANIFEST_FILE} line ${i + 1} is not JSON (${(error as Error).message})`);
    }
  }
  const [inputs, types, metadata, manifestMetadata, catalog] = parsed;
  const bad = (line: number, what: string) => new TubError(tub, 'bad-manifest', `${MANIFEST_FILE} line ${line}: expected ${what}`);
  if (!isObject(manifestMetadata)) throw bad(4, 'an object of manifest metadata');
  const version = manifestMetadata.format_version;
  if (typeof version === 'number' && version > TUB_FORMAT_VERSION) {
    throw new TubError(tub, 'newer-format', `was written in tub format ${version}; this version reads format ${TUB_FORMAT_VERSION} and older. Update the trainer to read it`);
  }
  if (!isStringArray(inputs)) throw bad(1, 'a list of input names');
  if (!isStringArray(types) || types.length !== inputs.length) throw bad(2, `a list of ${inputs.length} input types`);
  if (!isObject(metadata)) throw bad(3, 'an object of metadata');
  if (
    !isObject(catalog) ||
    !isStringArray(catalog.paths) ||
    !isCount(catalog.current_index) ||
    !isCount(catalog.max_len) ||
    !Array.isArray(catalog.deleted_indexes) ||
    !catalog.deleted_indexes.every(isCount)
  ) {
    throw bad(5, '{paths, current_index, max_len, deleted_indexes}');
  }
  const unsafe = catalog.paths.find((name) => !isPlainFileName(name));
  if (unsafe !== undefined) throw bad(5, `catalog file names, got ${JSON.stringify(unsafe)}`);
  return {
    inputs,
    types,
    metadata: metadata as Record<string, JsonValue>,
    manifestMetadata: manifestMetadata as Record<string, JsonValue>,
    catalog: {
      paths: catalog.paths,
      current_index: catalog.current_index,
      max_len: catalog.max_len,
      deleted_indexes: catalog.deleted_indexes as number[],
    },
  };
}

async function readCatalogLines(tub: string, catalog: string): Promise<Array<{ text: string; terminated: boolean }> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(tub, catalog), 'utf8');
  } catch {
    return undefined;
  }
  const pieces = text.split('\n');
  const last = pieces.pop() ?? '';
  const lines = pieces.map((piece) => ({ text: piece.replace(/\r$/, ''), terminated: true }));
  if (last.trim() !== '') lines.push({ text: last, terminated: false });
  // Donkeycar's reader stops a catalog at the first empty line; so do we (nothing real follows one).
  const firstEmpty = lines.findIndex((line) => line.text.trim() === '');
  return firstEmpty === -1 ? lines : lines.slice(0, firstEmpty);
}

async function readStartIndex(tub: string, catalog: string, report: (detail: string) => void): Promise<number | undefined> {
  const name = catalogManifestName(catalog);
  let text: string;
  try {
    text = await readFile(path.join(tub, name), 'utf8');
  } catch {
    report(`${name} is missing; record indexes continue from the previous catalog`);
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text.split('\n')[0] ?? '');
    if (isObject(parsed) && isCount(parsed.start_index)) return parsed.start_index;
  } catch {
    // reported below
  }
  report(`${name} has no start_index; record indexes continue from the previous catalog`);
  return undefined;
}

async function listImages(tub: string): Promise<ReadonlySet<string>> {
  try {
    return new Set(await readdir(path.join(tub, IMAGES_DIR)));
  } catch {
    return new Set();
  }
}

function parseRecord(text: string): Record<string, JsonValue> | string {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? (value as Record<string, JsonValue>) : 'not an object';
  } catch (error) {
    return (error as Error).message;
  }
}

function checkRecord(record: Record<string, JsonValue>, images: ReadonlySet<string> | undefined): { reason: TubIssueReason; detail: string } | undefined {
  for (const key of [ANGLE_KEY, THROTTLE_KEY]) {
    const value = record[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) return { reason: 'missing-value', detail: `${key} is ${JSON.stringify(value ?? null)}, expected a number` };
  }
  const image = record[IMAGE_KEY];
  if (typeof image !== 'string' || !isPlainFileName(image)) return { reason: 'bad-image-name', detail: `${IMAGE_KEY} is ${JSON.stringify(image ?? null)}, expected an image file name` };
  if (images && !images.has(image)) return { reason: 'missing-image', detail: `image ${IMAGES_DIR}/${image} is missing` };
  return undefined;
}

function toTubRecord(tub: string, index: number, values: Record<string, JsonValue>): TubRecord {
  const mode = values[MODE_KEY];
  const timestamp = values._timestamp_ms;
  const session = values._session_id;
  return {
    tub,
    index,
    sessionId: typeof session === 'string' ? session : undefined,
    timestampMs: typeof timestamp === 'number' ? timestamp : undefined,
    imagePath: path.join(tub, IMAGES_DIR, values[IMAGE_KEY] as string),
    angle: values[ANGLE_KEY] as number,
    throttle: values[THROTTLE_KEY] as number,
    mode: typeof mode === 'string' ? mode : 'user',
    values,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\');
}
