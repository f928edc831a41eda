/**
 * The update repository on disk, authored and signed with @tufjs/models:
 *
 *   <dir>/metadata/1.root.json, root.json        root (signed by the offline root key)
 *   <dir>/metadata/<v>.targets.json              what files exist: path → length + sha256
 *   <dir>/metadata/<v>.snapshot.json             which targets.json version is current (+ its hash)
 *   <dir>/metadata/timestamp.json                which snapshot is current; short expiry (freeze defence)
 *   <dir>/targets/<dir of path>/<sha256>.<name>  content-addressed blobs (consistent snapshots)
 *   <dir>/chunks/<4 hex>/<64 hex>.cacnk          chunked OS bundles' casync chunks (chunk-pool.ts): not
 *                                                TUF targets; each bundle's signed index names them
 *
 * This is the layout tuf-js' Updater fetches with `consistentSnapshot: true`. Versioned files never
 * change once written and timestamp.json is replaced last and atomically, so a client in the middle of
 * an update always sees one consistent state.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MetaFile, Metadata, MetadataKind, Root, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import { blobPath } from '../protocol/index.ts';
import { writeFileAtomicSync } from '../runtime/index.ts';
import type { KeySet, OnlineKeys, RoleKey, TopRole } from './keys.ts';

const SPEC_VERSION = '1.0.31';
const DAY_MS = 24 * 3600 * 1000;

export type Expiries = Record<TopRole, number>;
/** Lifetimes in ms. The timestamp is short so a frozen mirror is noticed within a day. */
export const DEFAULT_EXPIRIES: Expiries = { root: 365 * DAY_MS, targets: 90 * DAY_MS, snapshot: 7 * DAY_MS, timestamp: DAY_MS };

export interface RepositoryOptions {
  expiries?: Partial<Expiries>;
  /** the clock used for expiry dates (tests make metadata that is already expired) */
  now?: () => Date;
}

export interface TargetInput {
  /** the TUF target path, e.g. `services/pilot/service.js` */
  path: string;
  bytes: Uint8Array;
}

export interface StoredTarget {
  path: string;
  sha256: string;
  length: number;
}

export interface RepositoryVersions {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
  timestampExpires: string;
}

export class RepositoryError extends Error {
  override name = 'RepositoryError';
}

const TARGET_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._/@+-]{1,300}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function serialize(metadata: Metadata<Root | Targets | Snapshot | Timestamp>): Buffer {
  return Buffer.from(`${JSON.stringify(metadata.toJSON(), null, 2)}\n`);
}

function metaFileFor(version: number, bytes: Buffer): MetaFile {
  return new MetaFile({ version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } });
}

export class TufRepository {
  readonly metadataDir: string;
  readonly targetsDir: string;
  /** the casync chunk pool of chunked OS bundles */
  readonly chunksDir: string;
  private readonly expiries: Expiries;
  private readonly now: () => Date;

  private constructor(
    readonly dir: string,
    options: RepositoryOptions,
  ) {
    this.metadataDir = path.join(dir, 'metadata');
    this.targetsDir = path.join(dir, 'targets');
    this.chunksDir = path.join(dir, 'chunks');
    this.expiries = { ...DEFAULT_EXPIRIES, ...options.expiries };
    this.now = options.now ?? (() => new Date());
  }

  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'metadata', 'root.json'));
  }

  /** Creates version 1 of every role, empty of targets. Refuses an existing repository. */
  static initialize(dir: string, keys: KeySet, options: RepositoryOptions = {}): TufRepository {
    if (TufRepository.exists(dir)) throw new RepositoryError(`a repository already exists at ${dir}`);
    const repo = new TufRepository(dir, options);
    const root = new Root({ version: 1, specVersion: SPEC_VERSION, expires: repo.expiry('root'), consistentSnapshot: true });
    // one key per role, threshold 1 (the roles start empty)
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) root.addKey(keys[role].publicKey, role);
    const rootMd = new Metadata(root);
    rootMd.sign((data) => keys.root.sign(data));
    const rootBytes = serialize(rootMd);
    fs.mkdirSync(repo.targetsDir, { recursive: true });
    writeFileAtomicSync(path.join(repo.metadataDir, '1.root.json'), rootBytes);
    writeFileAtomicSync(path.join(repo.metadataDir, 'root.json'), rootBytes);
    repo.writeTopLevel(new Targets({ version: 1, specVersion: SPEC_VERSION, expires: repo.expiry('targets') }), 1, 1, keys);
    return repo;
  }

  static open(dir: string, options: RepositoryOptions = {}): TufRepository {
    if (!TufRepository.exists(dir)) throw new RepositoryError(`no repository at ${dir}; run \`npm run deploy -- init\` first`);
    return new TufRepository(dir, options);
  }

  /** The trusted root a car is provisioned with (its first metadata). */
  rootBytes(): Buffer {
    return fs.readFileSync(path.join(this.metadataDir, 'root.json'));
  }

  versions(): RepositoryVersions {
    const { timestamp, snapshot, targets } = this.load();
    return {
      root: Metadata.fromJSON(MetadataKind.Root, JSON.parse(this.rootBytes().toString('utf8'))).signed.version,
      targets: targets.signed.version,
      snapshot: snapshot.signed.version,
      timestamp: timestamp.signed.version,
      timestampExpires: timestamp.signed.expires,
    };
  }

  targets(): TargetFile[] {
    return Object.values(this.load().targets.signed.targets);
  }

  target(targetPath: string): TargetFile | undefined {
    return this.load().targets.signed.targets[targetPath];
  }

  /** The stored bytes of a listed target, checked against its hash. */
  readTarget(targetPath: string): Buffer {
    const info = this.target(targetPath);
    const sha256 = info?.hashes['sha256'];
    if (!info || !sha256) throw new RepositoryError(`no target ${targetPath} in the repository`);
    return this.readBlob(targetPath, sha256);
  }

  /** A stored blob by its content hash, whether or not targets.json still lists it at that hash. */
  readBlob(targetPath: string, sha256: string): Buffer {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(this.targetsDir, blobPath(targetPath, sha256)));
    } catch {
      throw new RepositoryError(`no stored blob for ${targetPath} at ${sha256.slice(0, 12)}`);
    }
    if (sha256Hex(bytes) !== sha256) throw new RepositoryError(`the stored blob of ${targetPath} does not match its hash`);
    return bytes;
  }

  /**
   * Adds (or replaces) targets and signs a new targets, snapshot and timestamp. Blobs are written
   * first and metadata last, so nothing references a file that is not yet there.
   */
  publish(inputs: readonly TargetInput[], keys: OnlineKeys): StoredTarget[] {
    const current = this.load();
    const stored = inputs.map((input) => {
      if (!TARGET_PATH.test(input.path)) throw new RepositoryError(`invalid target path '${input.path}'`);
      const sha256 = sha256Hex(input.bytes);
      const file = path.join(this.targetsDir, blobPath(input.path, sha256));
      if (!fs.existsSync(file)) writeFileAtomicSync(file, input.bytes);
      return { path: input.path, sha256, length: input.bytes.length };
    });
    const targets = new Targets({
      version: current.targets.signed.version + 1,
      specVersion: SPEC_VERSION,
      expires: this.expiry('targets'),
      targets: { ...current.targets.signed.targets },
    });
    for (const s of stored) targets.addTarget(new TargetFile({ path: s.path, length: s.length, hashes: { sha256: s.sha256 } }));
    this.writeTopLevel(targets, current.snapshot.signed.version + 1, current.timestamp.signed.version + 1, keys);
    return stored;
  }

  /** Re-signs the timestamp with a fresh expiry; run at least daily or cars refuse to update. */
  refreshTimestamp(timestampKey: RoleKey): void {
    const { timestamp } = this.load();
    const next = new Timestamp({
      version: timestamp.signed.version + 1,
      specVersion: SPEC_VERSION,
      expires: this.expiry('timestamp'),
      snapshotMeta: timestamp.signed.snapshotMeta,
    });
    const md = new Metadata(next);
    md.sign((data) => timestampKey.sign(data));
    writeFileAtomicSync(path.join(this.metadataDir, 'timestamp.json'), serialize(md));
  }

  private expiry(role: TopRole): string {
    return isoSeconds(new Date(this.now().getTime() + this.expiries[role]));
  }

  private writeTopLevel(targets: Targets, snapshotVersion: number, timestampVersion: number, keys: OnlineKeys): void {
    const targetsMd = new Metadata(targets);
    targetsMd.sign((data) => keys.targets.sign(data));
    const targetsBytes = serialize(targetsMd);
    const snapshotMd = new Metadata(
      new Snapshot({
        version: snapshotVersion,
        specVersion: SPEC_VERSION,
        expires: this.expiry('snapshot'),
        meta: { 'targets.json': metaFileFor(targets.version, targetsBytes) },
      }),
    );
    snapshotMd.sign((data) => keys.snapshot.sign(data));
    const snapshotBytes = serialize(snapshotMd);
    const timestampMd = new Metadata(
      new Timestamp({
        version: timestampVersion,
        specVersion: SPEC_VERSION,
        expires: this.expiry('timestamp'),
        snapshotMeta: metaFileFor(snapshotVersion, snapshotBytes),
      }),
    );
    timestampMd.sign((data) => keys.timestamp.sign(data));
    writeFileAtomicSync(path.join(this.metadataDir, `${targets.version}.targets.json`), targetsBytes);
    writeFileAtomicSync(path.join(this.metadataDir, `${snapshotVersion}.snapshot.json`), snapshotBytes);
    // the unversioned copies are for people reading the repository; clients follow the versioned chain
    writeFileAtomicSync(path.join(this.metadataDir, 'targets.json'), targetsBytes);
    writeFileAtomicSync(path.join(this.metadataDir, 'snapshot.json'), snapshotBytes);
    writeFileAtomicSync(path.join(this.metadataDir, 'timestamp.json'), serialize(timestampMd));
  }

  /** The current state, following timestamp → snapshot → targets as a client would. */
  private load(): { timestamp: Metadata<Timestamp>; snapshot: Metadata<Snapshot>; targets: Metadata<Targets> } {
    const read = (name: string): unknown => {
      try {
        return JSON.parse(fs.readFileSync(path.join(this.metadataDir, name), 'utf8'));
      } catch (error) {
        throw new RepositoryError(`cannot read ${name} in ${this.metadataDir}: ${(error as Error).message}`);
      }
    };
    const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, read('timestamp.json') as never);
    const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, read(`${timestamp.signed.snapshotMeta.version}.snapshot.json`) as never);
    const targetsMeta = snapshot.signed.meta['targets.json'];
    if (!targetsMeta) throw new RepositoryError('snapshot lists no targets.json');
    const targets = Metadata.fromJSON(MetadataKind.Targets, read(`${targetsMeta.version}.targets.json`) as never);
    return { timestamp, snapshot, targets };
  }
}
