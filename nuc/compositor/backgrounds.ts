/**
 * The background library: a directory of JPEGs, normalised to the frame height so they load
 * straight into the compositor. Built-in backgrounds are painted on first use; uploads are checked
 * for type, byte size and dimensions before anything is written.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { BUILT_IN_BACKGROUNDS, paintBackground, type BuiltInBackground } from './background-art.ts';
import { fitBackground, type RawImage } from './raw-image.ts';
import { readImageHeader, sniffImageFormat } from '../../protocol/index.ts';
import { writeFileAtomic } from '../../runtime/index.ts';

export type BackgroundErrorReason =
  | 'invalid-name'
  | 'empty'
  | 'too-large'
  | 'not-an-image'
  | 'unsupported-type'
  | 'corrupt-image'
  | 'too-small'
  | 'dimensions-too-large'
  | 'exists'
  | 'not-found'
  | 'built-in';

export class BackgroundError extends Error {
  constructor(
    readonly reason: BackgroundErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'BackgroundError';
  }
}

export interface BackgroundInfo {
  name: string;
  width: number;
  height: number;
  bytes: number;
  builtIn: boolean;
}

export interface BackgroundLibraryOptions {
  dir: string;
  frameWidth: number;
  frameHeight: number;
  /** upload byte limit (default 10 MiB) */
  maxBytes?: number;
  /** largest accepted width or height of an upload (default 8192) */
  maxDimension?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_DIMENSION = 8192;
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const EXTENSION = '.jpg';
/** Built-ins span three frame widths: room to pan a frame width either way from the centre. */
const BUILT_IN_WIDTH_FRAMES = 3;

/** A stored background as the server sends it: the file's JPEG bytes and their ETag. */
export interface StoredBackground {
  jpeg: Buffer;
  etag: string;
}

function isBuiltIn(name: string): name is BuiltInBackground {
  return (BUILT_IN_BACKGROUNDS as readonly string[]).includes(name);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function encodeStored(image: RawImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality: 92, chromaSubsampling: '4:4:4' })
    .toBuffer();
}

export class BackgroundLibrary {
  readonly dir: string;
  private readonly frameWidth: number;
  private readonly frameHeight: number;
  private readonly maxBytes: number;
  private readonly maxDimension: number;
  private builtIns: Promise<void> | undefined;
  /** stored files by name, read once per change of the file (its mtime and size) */
  private readonly stored = new Map<string, StoredBackground & { version: string }>();

  constructor(options: BackgroundLibraryOptions) {
    this.dir = options.dir;
    this.frameWidth = options.frameWidth;
    this.frameHeight = options.frameHeight;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    this.maxDimension = options.maxDimension ?? DEFAULT_MAX_DIMENSION;
  }

  /** Paints any missing built-in backgrounds (once per library; later calls share the work). */
  ensureBuiltIns(): Promise<void> {
    this.builtIns ??= this.paintMissing().catch((error: unknown) => {
      this.builtIns = undefined;
      throw error;
    });
    return this.builtIns;
  }

  async list(): Promise<BackgroundInfo[]> {
    await this.ensureBuiltIns();
    const names = (await readdir(this.dir))
      .filter((file) => file.endsWith(EXTENSION))
      .map((file) => file.slice(0, -EXTENSION.length))
      .filter((name) => NAME.test(name))
      .sort();
    const infos: BackgroundInfo[] = [];
    for (const name of names) {
      const info = await this.describe(name).catch(() => undefined);
      if (info) infos.push(info);
    }
    return infos;
  }

  /** A background as raw RGB at the frame height, ready for Compositor.setBackground. */
  async load(name: string): Promise<RawImage> {
    this.checkName(name);
    await this.ensureBuiltIns();
    let bytes: Buffer;
    try {
      bytes = await readFile(this.fileOf(name));
    } catch {
      throw new BackgroundError('not-found', `no background named "${name}"`);
    }
    return fitBackground(bytes, this.frameWidth, this.frameHeight);
  }

  /**
   * Checks an upload and stores it normalised to the frame height. Nothing is written unless every
   * check passes; an existing background is only replaced with `replace: true`.
   */
  async add(name: string, bytes: Buffer, options: { replace?: boolean } = {}): Promise<BackgroundInfo> {
    this.checkName(name);
    if (isBuiltIn(name)) throw new BackgroundError('built-in', `"${name}" is a built-in background; choose another name`);
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new BackgroundError('empty', 'the upload is empty');
    if (bytes.length > this.maxBytes) {
      throw new BackgroundError('too-large', `the upload is ${bytes.length} bytes; the limit is ${this.maxBytes}`);
    }
    // Format and size from the image's own header: a bomb is refused before any decoder sees it.
    const format = sniffImageFormat(bytes);
    if (!format) throw new BackgroundError('not-an-image', 'the upload is not a JPEG, PNG or WebP image');
    const announced = readImageHeader(bytes);
    if (!announced) throw new BackgroundError('corrupt-image', `the upload starts like ${format} but has no readable ${format} header`);
    if (announced.width > this.maxDimension || announced.height > this.maxDimension) {
      throw new BackgroundError('dimensions-too-large', `the image is ${announced.width}x${announced.height}; neither side may exceed ${this.maxDimension}`);
    }

    let width: number;
    let height: number;
    try {
      const meta = await sharp(bytes, { failOn: 'error', limitInputPixels: this.maxDimension ** 2 }).metadata();
      if (meta.format !== format) {
        throw new BackgroundError('unsupported-type', `the upload starts like ${format} but decodes as ${meta.format}`);
      }
      const turned = (meta.orientation ?? 1) >= 5;
      width = (turned ? meta.height : meta.width) ?? 0;
      height = (turned ? meta.width : meta.height) ?? 0;
    } catch (error) {
      if (error instanceof BackgroundError) throw error;
      throw new BackgroundError('corrupt-image', `the ${format} upload could not be read: ${errorText(error)}`);
    }
    if (width > this.maxDimension || height > this.maxDimension) {
      throw new BackgroundError(
        'dimensions-too-large',
        `the image is ${width}x${height}; neither side may exceed ${this.maxDimension}`,
      );
    }
    if (width < this.frameWidth || height < this.frameHeight) {
      throw new BackgroundError(
        'too-small',
        `the image is ${width}x${height}; it must be at least the frame size ${this.frameWidth}x${this.frameHeight}`,
      );
    }

    await this.ensureBuiltIns();
    const file = this.fileOf(name);
    if (!options.replace && (await stat(file).catch(() => undefined))) {
      throw new BackgroundError('exists', `a background named "${name}" already exists`);
    }
    let normalised: RawImage;
    try {
      normalised = await fitBackground(bytes, this.frameWidth, this.frameHeight, this.maxDimension ** 2);
    } catch (error) {
      throw new BackgroundError('corrupt-image', `the ${format} upload could not be decoded: ${errorText(error)}`);
    }
    const stored = await encodeStored(normalised);
    await writeFileAtomic(file, stored);
    return { name, width: normalised.width, height: normalised.height, bytes: stored.length, builtIn: false };
  }

  /**
   * A background's stored JPEG as it is on disk, for the browser: no decoding or re-encoding per
   * request, and an ETag that changes when the file does.
   */
  async storedJpeg(name: string): Promise<StoredBackground> {
    this.checkName(name);
    await this.ensureBuiltIns();
    const file = this.fileOf(name);
    const info = await stat(file).catch(() => undefined);
    if (!info) throw new BackgroundError('not-found', `no background named "${name}"`);
    const version = `${info.mtimeMs}:${info.size}`;
    const cached = this.stored.get(name);
    if (cached?.version === version) return cached;
    const jpeg = await readFile(file);
    const entry = { jpeg, etag: `"${createHash('sha256').update(jpeg).digest('base64url').slice(0, 27)}"`, version };
    this.stored.set(name, entry);
    return entry;
  }

  /** Deletes an uploaded background; built-ins stay. */
  async remove(name: string): Promise<void> {
    this.checkName(name);
    if (isBuiltIn(name)) throw new BackgroundError('built-in', `"${name}" is a built-in background and cannot be removed`);
    try {
      await rm(this.fileOf(name));
      this.stored.delete(name);
    } catch {
      throw new BackgroundError('not-found', `no background named "${name}"`);
    }
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new BackgroundError(
        'invalid-name',
        `background name ${JSON.stringify(name)} must be 1–63 characters of a-z, 0-9, '-' or '_', starting with a letter or digit`,
      );
    }
  }

  private fileOf(name: string): string {
    return path.join(this.dir, name + EXTENSION);
  }

  private async describe(name: string): Promise<BackgroundInfo> {
    const file = this.fileOf(name);
    const [meta, info] = await Promise.all([sharp(file, { limitInputPixels: this.maxDimension ** 2 }).metadata(), stat(file)]);
    return { name, width: meta.width ?? 0, height: meta.height ?? 0, bytes: info.size, builtIn: isBuiltIn(name) };
  }

  private async paintMissing(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of BUILT_IN_BACKGROUNDS) {
      const file = this.fileOf(name);
      if (await stat(file).catch(() => undefined)) continue;
      const image = paintBackground(name, this.frameWidth * BUILT_IN_WIDTH_FRAMES, this.frameHeight);
      await writeFileAtomic(file, await encodeStored(image));
    }
  }
}
