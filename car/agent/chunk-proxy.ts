/**
 * The chunk store RAUC's casync reads a chunked OS bundle from (the image's system.conf `[casync]
 * storepath`, a loopback URL): each `GET /<4 hex>/<64 hex>.cacnk` is fetched from the NUC's chunk
 * pool and passed on. casync asks only for the chunks the running slot lacks, so what this counts
 * is what a delta update downloaded. It trusts nothing it passes on: casync checks every chunk
 * against the bundle's signed index. It only bounds what it forwards (size, time, requests at once).
 * It runs only while an install is under way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** `/<the id's first 4 hex>/<the 64 hex id>.cacnk`, casync's layout of a store */
const CHUNK_PATH = /^\/([0-9a-f]{4})\/(([0-9a-f]{4})[0-9a-f]{60})\.cacnk$/;
/** casync's largest chunk is 256 KiB before compression; a compressed one is not much larger */
const DEFAULT_MAX_CHUNK_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_IN_FLIGHT = 16;

export interface ChunkProxyOptions {
  /** the NUC's chunk pool, ending in '/', e.g. http://nuc:8080/ota/chunks/ */
  upstream: string;
  /** loopback port (the image's storepath names it); 0 picks a free one (tests) */
  port: number;
  log: Logger;
  maxChunkBytes?: number;
  /** limit for one chunk from the NUC */
  timeoutMs?: number;
}

/** Parses a store request's path; undefined unless it is exactly a chunk's. */
export function chunkIdOf(urlPath: string): string | undefined {
  const match = CHUNK_PATH.exec(urlPath);
  if (!match || match[1] !== match[3]) return undefined;
  return match[2];
}

export class ChunkProxy {
  private bytesNow = 0;
  private chunksNow = 0;
  private refusedNow = 0;
  private inFlight = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly options: ChunkProxyOptions,
  ) {}

  static async start(options: ChunkProxyOptions): Promise<ChunkProxy> {
    if (!/^https?:\/\/.+\/$/.test(options.upstream)) throw new Error(`chunk pool URL '${options.upstream}' must be http(s) and end in '/'`);
    const server = http.createServer();
    const proxy = new ChunkProxy(server, options);
    server.on('request', (request, response) => {
      proxy.serve(request, response).catch((error: Error) => {
        options.log.warn({ err: error.message }, 'chunk request failed');
        if (!response.headersSent) response.writeHead(502).end();
        else response.destroy();
      });
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(error.code === 'EADDRINUSE' ? `the chunk store's port 127.0.0.1:${options.port} is taken by another process` : `chunk store: ${error.message}`)),
      );
      server.listen(options.port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** bytes of chunks passed on (as compressed in the pool) */
  get bytes(): number {
    return this.bytesNow;
  }

  get chunks(): number {
    return this.chunksNow;
  }

  /** requests refused: not a chunk path, too many at once, too large, or the NUC failed */
  get refused(): number {
    return this.refusedNow;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private refuse(response: http.ServerResponse, status: number, why: string, fields: Record<string, unknown> = {}): void {
    this.refusedNow++;
    this.options.log.warn({ status, ...fields }, `chunk request refused: ${why}`);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(`${why}\n`);
  }

  private async serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const urlPath = (request.url ?? '').split('?')[0]!;
    const id = chunkIdOf(urlPath);
    if (request.method !== 'GET' || id === undefined) return this.refuse(response, request.method === 'GET' ? 404 : 405, 'not a chunk of the store', { path: urlPath.slice(0, 200) });
    if (this.inFlight >= MAX_IN_FLIGHT) return this.refuse(response, 503, `more than ${MAX_IN_FLIGHT} chunks asked for at once`);
    this.inFlight++;
    try {
      const body = await this.fetchChunk(id);
      if (body === undefined) return this.refuse(response, 404, 'the NUC has no such chunk', { chunk: id });
      this.bytesNow += body.length;
      this.chunksNow++;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
    } catch (error) {
      this.refuse(response, 502, (error as Error).message, { chunk: id });
    } finally {
      this.inFlight--;
    }
  }

  /** The chunk from the NUC, bounded in size and time; undefined when the NUC has none. */
  private async fetchChunk(id: string): Promise<Buffer | undefined> {
    const max = this.options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    const url = `${this.options.upstream}${id.slice(0, 4)}/${id}.cacnk`;
    const reply = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    if (reply.status === 404) {
      await reply.body?.cancel();
      return undefined;
    }
    if (!reply.ok || !reply.body) {
      await reply.body?.cancel();
      throw new Error(`the NUC answered ${reply.status} for chunk ${id}`);
    }
    const declared = Number(reply.headers.get('content-length') ?? NaN);
    if (declared > max) {
      await reply.body.cancel();
      throw new Error(`chunk ${id} is ${declared} bytes, more than ${max}`);
    }
    const parts: Uint8Array[] = [];
    let length = 0;
    const reader = reply.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > max) {
        await reader.cancel();
        throw new Error(`chunk ${id} is more than ${max} bytes`);
      }
      parts.push(value);
    }
    return Buffer.concat(parts, length);
  }
}
