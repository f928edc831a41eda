/**
 * The car's content-addressed blob store: `<dir>/<sha256>` holds only complete, hash-checked files.
 * A download writes `<sha256>.part` and resumes it with an HTTP Range request after an interruption
 * (an agent restart too); it never takes more than the signed length (endless-data defence) and is
 * renamed into place only once its sha256 matches the signed one.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReleaseFile } from './release.ts';

const SHA256_NAME = /^[0-9a-f]{64}$/;

export class BlobError extends Error {
  override name = 'BlobError';
}

export interface BlobStoreOptions {
  dir: string;
  /** maps a file to the URL it is fetched from (the repository's content-addressed target) */
  urlOf: (file: ReleaseFile) => string;
  fetch?: typeof fetch;
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class BlobStore {
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: BlobStoreOptions) {
    this.fetcher = options.fetch ?? fetch;
  }

  get dir(): string {
    return this.options.dir;
  }

  pathOf(sha256: string): string {
    if (!SHA256_NAME.test(sha256)) throw new BlobError(`not a sha256: '${sha256}'`);
    return path.join(this.options.dir, sha256);
  }

  async present(): Promise<Set<string>> {
    await fs.mkdir(this.options.dir, { recursive: true });
    return new Set((await fs.readdir(this.options.dir)).filter((name) => SHA256_NAME.test(name)));
  }

  async freeBytes(): Promise<number> {
    await fs.mkdir(this.options.dir, { recursive: true });
    const stats = await fs.statfs(this.options.dir);
    return stats.bavail * stats.bsize;
  }

  /** Removes every blob and partial download whose hash is not in `keep`. */
  async deleteExcept(keep: ReadonlySet<string>): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true });
    for (const name of await fs.readdir(this.options.dir)) {
      const sha = name.endsWith('.part') ? name.slice(0, -'.part'.length) : name;
      if (!keep.has(sha)) await fs.rm(path.join(this.options.dir, name), { force: true, recursive: true });
    }
  }

  /** Fetches the blobs not yet present; `onProgress` gets the bytes on disk of these blobs so far. */
  async download(files: readonly ReleaseFile[], onProgress: (bytesDone: number) => void = () => undefined): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true });
    let done = 0;
    for (const file of files) {
      await this.fetchOne(file, (bytes) => onProgress(done + bytes));
      done += file.length;
      onProgress(done);
    }
  }

  private async fetchOne(file: ReleaseFile, onProgress: (bytes: number) => void): Promise<void> {
    const final = this.pathOf(file.sha256);
    // only verified files are ever renamed into place
    if ((await fs.stat(final).catch(() => undefined))?.isFile()) return;
    const part = `${final}.part`;
    let offset = await sizeOf(part);
    if (offset > file.length) {
      await fs.rm(part, { force: true });
      offset = 0;
    }
    if (offset < file.length) offset = await this.fetchInto(file, part, offset, onProgress);
    const actual = await sha256OfFile(part);
    if (actual !== file.sha256) {
      await fs.rm(part, { force: true });
      throw new BlobError(`${file.target}: sha256 ${actual} does not match the signed ${file.sha256} (tampered or corrupt); discarded`);
    }
    await fs.rename(part, final);
    await syncDir(this.options.dir);
  }

  /** Appends to `part` from `offset`; returns its final size. */
  private async fetchInto(file: ReleaseFile, part: string, offset: number, onProgress: (bytes: number) => void): Promise<number> {
    const url = this.options.urlOf(file);
    const response = await this.fetcher(url, offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {});
    if (response.status === 416) {
      // the server has no bytes past our partial file: start over
      await response.body?.cancel();
      await fs.rm(part, { force: true });
      return offset > 0 ? this.fetchInto(file, part, 0, onProgress) : 0;
    }
    if (!response.ok || !response.body) throw new BlobError(`${url}: HTTP ${response.status}`);
    // a server that ignores Range answers 200 with the whole file
    let size = response.status === 206 ? offset : 0;
    const handle = await fs.open(part, response.status === 206 ? 'a' : 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (size + chunk.length > file.length) {
          throw new BlobError(`${file.target}: the server sent more than the signed ${file.length} bytes (endless data); discarded`);
        }
        await handle.write(chunk);
        size += chunk.length;
        onProgress(size);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      if (error instanceof BlobError) await fs.rm(part, { force: true });
      throw error;
    }
    await handle.close();
    if (size !== file.length) throw new BlobError(`${file.target}: got ${size} of ${file.length} bytes; will resume`);
    return size;
  }
}
