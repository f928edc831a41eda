/**
 * The car's content-addressed blob store: `<dir>/<sha256>` holds only complete, hash-checked files.
 * A download writes `<sha256>.part` and resumes it with an HTTP Range request after an interruption
 * (an agent restart too); it never takes more than the signed length (endless-data defence) and is
 * renamed into place only once its sha256 matches the signed one. A request that goes silent (a Wi-Fi
 * partition: no FIN, the connection just stops) is abandoned after `stallMs` and resumed where it
 * stopped, again and again while the network is gone, until `giveUpMs` pass without a byte.
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
  /** a request without a byte (or an answer) for this long is abandoned and resumed; default 3 s */
  stallMs?: number;
  /** a download without a byte for this long fails (the update step then retries or fails); default 30 s */
  giveUpMs?: number;
  /** the pause before resuming an abandoned or failed request; default 500 ms */
  retryMs?: number;
}

/** The request went silent or the connection failed: resume, it is no fault of the file. */
class Interrupted extends Error {
  override name = 'Interrupted';
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
  private fetched = 0;
  private resumed = 0;

  constructor(private readonly options: BlobStoreOptions) {
    this.fetcher = options.fetch ?? fetch;
  }

  /** bytes received from the repository so far (what a cut download costs shows here) */
  get bytesFetched(): number {
    return this.fetched;
  }

  /** requests abandoned (silent) or failed and resumed where they stopped */
  get resumes(): number {
    return this.resumed;
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
    // progress is the file growing past what it ever held (a server re-sending the start is none)
    let lastProgressAt = Date.now();
    let most = offset;
    while (offset < file.length) {
      try {
        offset = await this.fetchInto(file, part, offset, (bytes) => {
          if (bytes > most) {
            most = bytes;
            lastProgressAt = Date.now();
          }
          onProgress(bytes);
        });
      } catch (error) {
        if (!(error instanceof Interrupted)) throw error;
        const giveUpMs = this.options.giveUpMs ?? 30_000;
        if (Date.now() - lastProgressAt >= giveUpMs) throw new BlobError(`${file.target}: no byte for ${giveUpMs} ms (${error.message}); will resume later`);
        this.resumed++;
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 500));
        offset = await sizeOf(part);
      }
    }
    const actual = await sha256OfFile(part);
    if (actual !== file.sha256) {
      await fs.rm(part, { force: true });
      throw new BlobError(`${file.target}: sha256 ${actual} does not match the signed ${file.sha256} (tampered or corrupt); discarded`);
    }
    await fs.rename(part, final);
    await syncDir(this.options.dir);
  }

  /**
   * Appends to `part` from `offset`; returns its size when the answer ended. A silent or broken
   * connection throws Interrupted (resume from what is on disk); a wrong answer throws a BlobError.
   */
  private async fetchInto(file: ReleaseFile, part: string, offset: number, onProgress: (bytes: number) => void): Promise<number> {
    const url = this.options.urlOf(file);
    const stallMs = this.options.stallMs ?? 3000;
    const controller = new AbortController();
    let watchdog: NodeJS.Timeout | undefined;
    const rearm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), stallMs);
    };
    const interrupted = (error: unknown): Error =>
      error instanceof BlobError ? error : new Interrupted(controller.signal.aborted ? `silent for ${stallMs} ms` : (error as Error).message);
    rearm();
    let response: Response;
    try {
      response = await this.fetcher(url, { signal: controller.signal, ...(offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {}) });
    } catch (error) {
      clearTimeout(watchdog);
      throw interrupted(error);
    }
    if (response.status === 416) {
      clearTimeout(watchdog);
      // the server has no bytes past our partial file: start over (at 0 it has none at all)
      await response.body?.cancel();
      if (offset === 0) throw new BlobError(`${url}: HTTP 416 for the whole file`);
      await fs.rm(part, { force: true });
      return 0;
    }
    if (!response.ok || !response.body) {
      clearTimeout(watchdog);
      throw new BlobError(`${url}: HTTP ${response.status}`);
    }
    // a server that ignores Range answers 200 with the whole file
    let size = response.status === 206 ? offset : 0;
    const handle = await fs.open(part, response.status === 206 ? 'a' : 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        rearm();
        if (size + chunk.length > file.length) {
          throw new BlobError(`${file.target}: the server sent more than the signed ${file.length} bytes (endless data); discarded`);
        }
        await handle.write(chunk);
        this.fetched += chunk.length;
        size += chunk.length;
        onProgress(size);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      if (error instanceof BlobError) await fs.rm(part, { force: true });
      throw interrupted(error);
    } finally {
      clearTimeout(watchdog);
    }
    await handle.close();
    if (size < file.length) throw new Interrupted(`the answer ended after ${size} of ${file.length} bytes`);
    return size;
  }
}
