/** Test support: a signed update repository in a temp dir, served over real HTTP by nuc/ota, and clients for it. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { OtaDb, otaRoutes } from '../../nuc/ota/index.ts';
import { UpdateClient, provisionTrustedRoot } from '../../car/agent/index.ts';
import { createKeys, type KeySet } from '../../deploy/keys.ts';
import { publishRelease, type ReleaseChanges } from '../../deploy/release.ts';
import { TufRepository, type RepositoryOptions } from '../../deploy/repository.ts';

export interface TestRepo {
  dataDir: string;
  repoDir: string;
  keys: KeySet;
  repo: TufRepository;
  publish(changes?: Partial<ReleaseChanges>, options?: RepositoryOptions): ReturnType<typeof publishRelease>;
  cleanup(): void;
}

export function pilotChanges(code: string): ReleaseChanges {
  return {
    label: `pilot ${code}`,
    services: {
      pilot: { entry: 'service.js', files: [{ path: 'service.js', bytes: Buffer.from(code) }], strategy: 'handover', needsHardware: false, externals: [] },
    },
  };
}

export function makeTestRepo(options: RepositoryOptions = {}): TestRepo {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-test-'));
  const repoDir = path.join(dataDir, 'ota', 'repository');
  const keys = createKeys(path.join(dataDir, 'keys'), { servedDir: repoDir });
  const repo = TufRepository.initialize(repoDir, keys, options);
  return {
    dataDir,
    repoDir,
    keys,
    repo,
    publish: (changes = {}, publishOptions = options) =>
      publishRelease(TufRepository.open(repoDir, publishOptions), keys, { ...pilotChanges('export default 1;\n'), ...changes }),
    cleanup: () => fs.rmSync(dataDir, { recursive: true, force: true }),
  };
}

export interface TestServer {
  baseUrl: string;
  close(): Promise<void>;
}

export async function serveRepository(repoDir: string, db = OtaDb.open(':memory:')): Promise<TestServer & { db: OtaDb }> {
  const app = Fastify({ logger: false });
  await otaRoutes(app, { repositoryDir: repoDir, db });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl: address,
    db,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

/** A hostile mirror: real metadata, but targets under `endlessUnder` answer an endless stream of bytes. */
export async function serveEndlessTargets(repoDir: string, endlessUnder = ''): Promise<TestServer> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const server = http.createServer((request, response) => {
    const url = decodeURIComponent(request.url ?? '');
    if (url.includes('..')) return void response.writeHead(400).end();
    if (url.startsWith('/ota/metadata/') || !url.startsWith(`/ota/targets/${endlessUnder}`)) {
      const file = path.join(repoDir, url.slice('/ota/'.length));
      if (!fs.existsSync(file)) return void response.writeHead(404).end();
      return void response.writeHead(200).end(fs.readFileSync(file));
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = (): void => {
      while (!response.destroyed && response.write(chunk));
      if (!response.destroyed) response.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function makeClient(repo: TufRepository, baseUrl: string, carDir: string, car?: string): UpdateClient {
  const metadataDir = path.join(carDir, 'tuf');
  provisionTrustedRoot(metadataDir, repo.rootBytes());
  return new UpdateClient({ metadataBaseUrl: `${baseUrl}/ota/metadata`, targetBaseUrl: `${baseUrl}/ota/targets`, metadataDir, fetchTimeoutMs: 5000, ...(car === undefined ? {} : { car }) });
}
