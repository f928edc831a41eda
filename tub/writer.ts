/**
 * Writes a Donkeycar tub v2 that Donkeycar's own Tub class opens. Each record is committed in the
 * order image → catalog line → catalog manifest → manifest; a step that fails undoes the earlier ones,
 * so after any error the tub on disk still describes exactly the records that were fully written.
 */
import path from 'node:path';
import {
  ANGLE_KEY,
  DEFAULT_INPUTS,
  DEFAULT_MAX_LEN,
  IMAGE_KEY,
  IMAGES_DIR,
  MANIFEST_FILE,
  MODE_KEY,
  THROTTLE_KEY,
  TUB_FORMAT_VERSION,
  catalogFileName,
  catalogManifestName,
  catalogManifestText,
  imageFileName,
  manifestText,
  pythonJson,
  sessionIdFor,
  type JsonValue,
  type TubInput,
} from './format.ts';
import { nodeTubFileSystem, type TubFileSystem } from './tub-fs.ts';

export interface TubWriterOptions {
  /** fields beyond Donkeycar's default four (image, angle, throttle, mode), declared in the manifest */
  extraInputs?: readonly TubInput[];
  /** free-form facts about the tub (car, track, …): the manifest's metadata line */
  metadata?: Record<string, JsonValue>;
  /** records per catalog file (Donkeycar's default 1000) */
  maxLen?: number;
  fs?: TubFileSystem;
  now?: () => Date;
}

export interface TubWriteRecord {
  /** JPEG bytes, stored as they are */
  jpeg: Uint8Array;
  angle: number;
  throttle: number;
  mode: string;
  /** when the frame was taken (ms since the epoch): Donkeycar's `_timestamp_ms` */
  timestampMs: number;
  /** values for the declared extra inputs */
  extra?: Record<string, string | number | boolean>;
}

export class TubWriteError extends Error {
  constructor(
    readonly tub: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`tub ${tub}: ${message}`, options);
    this.name = 'TubWriteError';
  }
}

interface OpenCatalog {
  name: string;
  startIndex: number;
  createdAt: number;
  lineLengths: number[];
  bytes: number;
}

export class TubWriter {
  private readonly inputs: readonly TubInput[];
  private readonly floatKeys: ReadonlySet<string>;
  private readonly paths: string[] = [];
  private readonly deleted = new Set<number>();
  private catalog!: OpenCatalog;
  private currentIndex = 0;
  private closedFlag = false;
  private queue: Promise<unknown> = Promise.resolve();
  readonly sessionId: string;
  private readonly createdAt: number;

  private constructor(
    readonly dir: string,
    private readonly maxLen: number,
    private readonly metadata: Record<string, JsonValue>,
    extraInputs: readonly TubInput[],
    private readonly fs: TubFileSystem,
    private readonly now: () => Date,
  ) {
    this.inputs = [...DEFAULT_INPUTS, ...extraInputs];
    this.floatKeys = new Set(this.inputs.filter((input) => input.type === 'float').map((input) => input.key));
    const created = now();
    this.createdAt = created.getTime() / 1000;
    this.sessionId = sessionIdFor(created);
  }

  /** Creates a new tub folder; refuses one that already holds a manifest (one tub per session). */
  static async create(dir: string, options: TubWriterOptions = {}): Promise<TubWriter> {
    const fs = options.fs ?? nodeTubFileSystem;
    const maxLen = options.maxLen ?? DEFAULT_MAX_LEN;
    if (!Number.isInteger(maxLen) || maxLen < 1) throw new RangeError(`tub ${dir}: maxLen must be a positive integer, got ${maxLen}`);
    const extra = options.extraInputs ?? [];
    const known = new Set(DEFAULT_INPUTS.map((input) => input.key));
    for (const input of extra) {
      if (known.has(input.key)) throw new RangeError(`tub ${dir}: input ${input.key} is declared twice`);
      known.add(input.key);
    }
    if (await fs.exists(path.join(dir, MANIFEST_FILE))) throw new TubWriteError(dir, 'already exists; a new session needs a new tub');
    const writer = new TubWriter(dir, maxLen, options.metadata ?? {}, extra, fs, options.now ?? (() => new Date()));
    try {
      await fs.mkdir(path.join(dir, IMAGES_DIR));
      await writer.startCatalog();
    } catch (error) {
      throw new TubWriteError(dir, `cannot create: ${(error as Error).message}`, { cause: error });
    }
    return writer;
  }

  /** records written so far (the next record's index) */
  get count(): number {
    return this.currentIndex;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Appends one record; resolves with its index. Writes are serialised in call order. */
  write(record: TubWriteRecord): Promise<number> {
    return this.serialise(() => this.writeNow(record));
  }

  /** Marks records deleted (Donkeycar keeps them on disk and skips them when reading). */
  markDeleted(indexes: Iterable<number>): Promise<void> {
    return this.serialise(async () => {
      const wanted = [...indexes];
      for (const index of wanted) {
        if (!Number.isInteger(index) || index < 0 || index >= this.currentIndex) {
          throw new RangeError(`tub ${this.dir}: cannot delete record ${index}: the tub has records 0..${this.currentIndex - 1}`);
        }
      }
      const before = new Set(this.deleted);
      for (const index of wanted) this.deleted.add(index);
      try {
        await this.writeManifest();
      } catch (error) {
        this.deleted.clear();
        for (const index of before) this.deleted.add(index);
        throw new TubWriteError(this.dir, `cannot mark records deleted: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  /** Writes the final manifest (with Donkeycar's session bookkeeping). Later writes are refused. */
  close(): Promise<void> {
    if (this.closedFlag) return this.queue.then(() => undefined);
    const done = this.serialise(async () => {
      if (this.currentIndex > 0) await this.writeManifest();
    });
    this.closedFlag = true;
    return done.catch((error: unknown) => {
      throw new TubWriteError(this.dir, `closing left the previous manifest in place: ${(error as Error).message}`, { cause: error });
    });
  }

  private serialise<T>(step: () => Promise<T>): Promise<T> {
    if (this.closedFlag) return Promise.reject(new TubWriteError(this.dir, 'is closed'));
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async writeNow(record: TubWriteRecord): Promise<number> {
    const contents = this.catalogRecord(record);
    const index = this.currentIndex;
    if (index > 0 && index % this.maxLen === 0) {
      try {
        await this.startCatalog();
      } catch (error) {
        throw new TubWriteError(this.dir, `cannot start a new catalog: ${(error as Error).message}`, { cause: error });
      }
    }
    const catalog = this.catalog;
    const imagePath = path.join(this.dir, IMAGES_DIR, imageFileName(index));
    const catalogPath = path.join(this.dir, catalog.name);
    const line = `${pythonJson({ ...contents, [IMAGE_KEY]: imageFileName(index), _index: index }, { sortKeys: true, floatKeys: this.floatKeys })}\n`;
    const lineBytes = Buffer.byteLength(line);
    let step = 'write the image';
    try {
      await this.fs.writeFile(imagePath, record.jpeg);
      step = 'append to the catalog';
      await this.fs.appendFile(catalogPath, line);
      catalog.lineLengths.push(lineBytes);
      catalog.bytes += lineBytes;
      step = 'update the catalog manifest';
      await this.writeCatalogManifest(catalog);
      this.currentIndex++;
      step = 'update the manifest';
      await this.writeManifest();
    } catch (error) {
      await this.undo(catalog, catalogPath, imagePath, index, lineBytes, step);
      throw new TubWriteError(this.dir, `record ${index}: cannot ${step}: ${(error as Error).message}`, { cause: error });
    }
    return index;
  }

  /** Best-effort rollback of a half-written record; each undo is independent so one failure does not stop the rest. */
  private async undo(catalog: OpenCatalog, catalogPath: string, imagePath: string, index: number, lineBytes: number, step: string): Promise<void> {
    const appended = step === 'update the catalog manifest' || step === 'update the manifest';
    if (appended) {
      catalog.lineLengths.pop();
      catalog.bytes -= lineBytes;
    }
    if (step === 'update the manifest') {
      this.currentIndex = index;
      await this.writeCatalogManifest(catalog).catch(() => undefined);
    }
    // A failed append may have left part of the line behind: cut the catalog back to its committed size.
    if (step !== 'write the image') await this.fs.truncate(catalogPath, catalog.bytes).catch(() => undefined);
    await this.fs.unlink(imagePath).catch(() => undefined);
  }

  private catalogRecord(record: TubWriteRecord): Record<string, JsonValue> {
    if (!Number.isFinite(record.angle) || !Number.isFinite(record.throttle)) {
      throw new RangeError(`tub ${this.dir}: angle and throttle must be finite numbers, got ${record.angle}, ${record.throttle}`);
    }
    if (!Number.isFinite(record.timestampMs)) throw new RangeError(`tub ${this.dir}: timestampMs must be a finite number`);
    const contents: Record<string, JsonValue> = {
      [ANGLE_KEY]: record.angle,
      [THROTTLE_KEY]: record.throttle,
      [MODE_KEY]: record.mode,
      _timestamp_ms: Math.round(record.timestampMs),
      _session_id: this.sessionId,
    };
    const declared = new Map(this.inputs.map((input) => [input.key, input.type]));
    for (const [key, value] of Object.entries(record.extra ?? {})) {
      const type = declared.get(key);
      if (type === undefined || key === IMAGE_KEY) throw new RangeError(`tub ${this.dir}: ${key} is not a declared input`);
      contents[key] = type === 'int' && typeof value === 'number' ? Math.round(value) : value;
    }
    return contents;
  }

  private async startCatalog(): Promise<void> {
    const catalog: OpenCatalog = {
      name: catalogFileName(this.paths.length),
      startIndex: this.currentIndex,
      createdAt: this.now().getTime() / 1000,
      lineLengths: [],
      bytes: 0,
    };
    await this.fs.writeFile(path.join(this.dir, catalog.name), '');
    await this.writeCatalogManifest(catalog);
    this.paths.push(catalog.name);
    try {
      await this.writeManifest();
    } catch (error) {
      this.paths.pop();
      throw error;
    }
    this.catalog = catalog;
  }

  private writeCatalogManifest(catalog: OpenCatalog): Promise<void> {
    const manifestName = catalogManifestName(catalog.name);
    const text = catalogManifestText({
      created_at: catalog.createdAt,
      line_lengths: catalog.lineLengths,
      path: manifestName,
      start_index: catalog.startIndex,
    });
    return this.fs.writeFileAtomic(path.join(this.dir, manifestName), text);
  }

  private writeManifest(): Promise<void> {
    const manifestMetadata: Record<string, JsonValue> = { created_at: this.createdAt, format_version: TUB_FORMAT_VERSION };
    if (this.currentIndex > 0) {
      manifestMetadata.sessions = { all_full_ids: [this.sessionId], last_id: 0, last_full_id: this.sessionId };
    }
    const text = manifestText({
      inputs: this.inputs.map((input) => input.key),
      types: this.inputs.map((input) => input.type),
      metadata: this.metadata,
      manifestMetadata,
      catalog: { paths: [...this.paths], current_index: this.currentIndex, max_len: this.maxLen, deleted_indexes: [...this.deleted] },
    });
    return this.fs.writeFileAtomic(path.join(this.dir, MANIFEST_FILE), text);
  }
}
