/**
 * Donkeycar's tub v2 layout (donkeycar/parts/datastore_v2.py, tub_v2.py), as far as readers on both
 * sides depend on it:
 *
 *   <tub>/manifest.json            five JSON lines: inputs, types, metadata, manifest metadata,
 *                                  catalog state {paths, current_index, max_len, deleted_indexes}
 *   <tub>/catalog_<n>.catalog      one JSON record per line (sorted keys), at most max_len lines
 *   <tub>/catalog_<n>.catalog_manifest  one JSON line {created_at, line_lengths, path, start_index}
 *   <tub>/images/<index>_cam_image_array_.jpg
 *
 * Lines end with '\n' (Donkeycar before 4.3 wrote '\r\n'; readers accept both). Donkeycar's manifest
 * has no version; we add `format_version` to the manifest metadata (Donkeycar keeps unknown keys there)
 * so a tub written by a newer layout is refused instead of misread.
 */

export const MANIFEST_FILE = 'manifest.json';
export const IMAGES_DIR = 'images';
export const DEFAULT_MAX_LEN = 1000;
/** The layout this code reads and writes; a manifest declaring a higher one is refused. */
export const TUB_FORMAT_VERSION = 2;

export const IMAGE_KEY = 'cam/image_array';
export const ANGLE_KEY = 'user/angle';
export const THROTTLE_KEY = 'user/throttle';
export const MODE_KEY = 'user/mode';

/** Donkeycar's input types that a record field may have. */
export type TubInputType = 'image_array' | 'float' | 'int' | 'str' | 'boolean' | 'list' | 'vector' | 'nparray' | 'gray16_array';

export interface TubInput {
  key: string;
  type: TubInputType;
}

/** What Donkeycar's default `donkey createcar` template records. */
export const DEFAULT_INPUTS: readonly TubInput[] = [
  { key: IMAGE_KEY, type: 'image_array' },
  { key: ANGLE_KEY, type: 'float' },
  { key: THROTTLE_KEY, type: 'float' },
  { key: MODE_KEY, type: 'str' },
];

/** The catalog state on the manifest's fifth line. */
export interface CatalogState {
  paths: string[];
  current_index: number;
  max_len: number;
  deleted_indexes: number[];
}

export interface CatalogManifest {
  created_at: number;
  line_lengths: number[];
  path: string;
  start_index: number;
}

export function catalogFileName(n: number): string {
  return `catalog_${n}.catalog`;
}

/** `catalog_3.catalog` → `catalog_3.catalog_manifest` (Donkeycar names it after the catalog's stem). */
export function catalogManifestName(catalogName: string): string {
  const stem = catalogName.endsWith('.catalog') ? catalogName.slice(0, -'.catalog'.length) : catalogName;
  return `${stem}.catalog_manifest`;
}

/** Donkeycar joins index, key (slashes to underscores) and extension with '_': `7_cam_image_array_.jpg`. */
export function imageFileName(index: number, key = IMAGE_KEY, extension = '.jpg'): string {
  return [String(index), key.replaceAll('/', '_'), extension].join('_');
}

/** Donkeycar's session id: local date `YY-MM-DD` and a per-tub session number. */
export function sessionIdFor(date: Date, sessionNumber = 0): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getFullYear() % 100)}-${two(date.getMonth() + 1)}-${two(date.getDate())}_${sessionNumber}`;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * JSON as Python's `json.dumps` writes it (', ' and ': ' separators, non-ASCII escaped, NaN refused),
 * so our lines look like Donkeycar's and byte lengths equal character lengths (Donkeycar seeks by
 * them). `floatKeys` names top-level keys whose whole numbers Python would print as `1.0`.
 */
export function pythonJson(value: JsonValue, options: { sortKeys?: boolean; floatKeys?: ReadonlySet<string> } = {}): string {
  return encodeValue(value, options.sortKeys ?? false, options.floatKeys, true);
}

function encodeValue(value: JsonValue, sortKeys: boolean, floatKeys: ReadonlySet<string> | undefined, top: boolean, key?: string): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot store ${value} in a tub (JSON has no NaN or Infinity)`);
    const text = JSON.stringify(value);
    const isFloat = top === false && key !== undefined && floatKeys?.has(key) === true;
    return isFloat && Number.isInteger(value) ? `${text}.0` : text;
  }
  if (typeof value === 'string') return asciiJsonString(value);
  if (Array.isArray(value)) return `[${value.map((item) => encodeValue(item, sortKeys, undefined, false)).join(', ')}]`;
  const keys = Object.keys(value);
  if (sortKeys) keys.sort(comparePythonKeys);
  // Only the record's own keys are float-typed; nested objects are plain.
  return `{${keys.map((k) => `${asciiJsonString(k)}: ${encodeValue(value[k]!, sortKeys, top ? floatKeys : undefined, false, top ? k : undefined)}`).join(', ')}}`;
}

/** Python sorts str keys by code point, not by UTF-16 unit as JS's default sort does. */
function comparePythonKeys(a: string, b: string): number {
  const left = [...a].map((c) => c.codePointAt(0)!);
  const right = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return left.length - right.length;
}

function asciiJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The five manifest lines, each ending with '\n'. */
export function manifestText(manifest: {
  inputs: readonly string[];
  types: readonly string[];
  metadata: Record<string, JsonValue>;
  manifestMetadata: Record<string, JsonValue>;
  catalog: CatalogState;
}): string {
  const state: { [key: string]: JsonValue } = {
    paths: manifest.catalog.paths,
    current_index: manifest.catalog.current_index,
    max_len: manifest.catalog.max_len,
    deleted_indexes: [...manifest.catalog.deleted_indexes].sort((a, b) => a - b),
  };
  return [
    pythonJson([...manifest.inputs]),
    pythonJson([...manifest.types]),
    pythonJson(manifest.metadata),
    pythonJson(manifest.manifestMetadata),
    pythonJson(state),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

export function catalogManifestText(manifest: CatalogManifest): string {
  return `${pythonJson({ ...manifest }, { sortKeys: true })}\n`;
}
