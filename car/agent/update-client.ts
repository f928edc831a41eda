/**
 * The car's side of updates, over tuf-js' Updater: fetch the newest release manifest through TUF
 * (signatures, versions, expiry, hashes all checked) and download the files it lists, each checked
 * against its signed length and sha256 before it is written. Anything that fails verification is
 * refused with an UpdateRefusedError and nothing is written, so the running version keeps running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TargetFile } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { LATEST_RELEASE_TARGET, carReleaseTarget, parseManifest, type ReleaseFile, type ReleaseManifest } from '../../protocol/index.ts';

export interface UpdateClientOptions {
  /** e.g. http://nuc:8080/ota/metadata */
  metadataBaseUrl: string;
  /** e.g. http://nuc:8080/ota/targets */
  targetBaseUrl: string;
  /** the car's trusted metadata; must hold root.json (see provisionTrustedRoot) */
  metadataDir: string;
  fetchTimeoutMs?: number;
  /** a manifest larger than this is refused (endless-data defence before TUF knows its length) */
  maxManifestBytes?: number;
  /** this car's id: a release of its own (a per-car rollback) counts when its version is higher */
  car?: string;
}

/** Why an update was refused; each is an attack TUF defends against, or the repository being unreachable. */
export type RefusalReason =
  | 'signature' // metadata not signed by the keys root trusts
  | 'rollback' // older metadata or release than already seen
  | 'expired' // freeze: metadata past its expiry
  | 'mismatch' // bytes differ from what signed metadata says (tampering, mix-and-match)
  | 'too-large' // more bytes than the signed length (endless data)
  | 'unavailable' // network or HTTP failure
  | 'invalid'; // malformed metadata or manifest

export class UpdateRefusedError extends Error {
  override name = 'UpdateRefusedError';
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`update refused (${reason}): ${message}`, options);
  }
}

const REASON_PATTERNS: readonly [RefusalReason, RegExp][] = [
  ['signature', /signed by \d+\/\d+ keys|failed to verify|no signature/i],
  ['expired', /expired/i],
  ['too-large', /max length reached/i],
  ['rollback', /less than current version/i],
  ['mismatch', /expected (hash|length)|does not match snapshot version|doesn't match timestamp|Missing file/i],
  ['unavailable', /failed to download|fetch failed|ECONNREFUSED|timeout|aborted/i],
];

/** Maps tuf-js' errors (whose classes it does not export, and which it often re-wraps) to a reason. */
export function classifyRefusal(error: unknown): UpdateRefusedError {
  if (error instanceof UpdateRefusedError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const className = error instanceof Error ? error.constructor.name : '';
  if (className === 'DownloadHTTPError') return new UpdateRefusedError('unavailable', message, { cause: error });
  const match = REASON_PATTERNS.find(([, pattern]) => pattern.test(message));
  return new UpdateRefusedError(match?.[0] ?? 'invalid', message, { cause: error });
}

/** Installs the root a car trusts (from provisioning), unless it already has one (possibly rotated since). */
export function provisionTrustedRoot(metadataDir: string, rootJson: Uint8Array): void {
  fs.mkdirSync(metadataDir, { recursive: true });
  const file = path.join(metadataDir, 'root.json');
  if (!fs.existsSync(file)) fs.writeFileSync(file, rootJson);
}

export class UpdateClient {
  private updater: Updater | undefined;

  constructor(private readonly options: UpdateClientOptions) {
    if (!fs.existsSync(path.join(options.metadataDir, 'root.json'))) {
      throw new Error(`no trusted root at ${path.join(options.metadataDir, 'root.json')}; provision the car with the repository's root.json`);
    }
  }

  /**
   * Refreshes the metadata and returns the newest release: the fleet's, or this car's own when it is
   * higher. A release older than `installedVersion` is refused: TUF stops old metadata, this stops
   * an old release re-signed under new metadata.
   */
  async latestRelease(options: { installedVersion?: number } = {}): Promise<ReleaseManifest> {
    const { updater, fleet, own } = await this.guard(async () => {
      const updater = this.newUpdater();
      await updater.refresh();
      const fleet = await this.manifestAt(updater, LATEST_RELEASE_TARGET);
      const own = this.options.car === undefined ? undefined : await this.manifestAt(updater, carReleaseTarget(this.options.car));
      if (!fleet && !own) throw new UpdateRefusedError('invalid', `the repository has no ${LATEST_RELEASE_TARGET}; nothing published yet`);
      return { updater, fleet, own };
    });
    this.updater = updater;
    const [newest] = [fleet, own].filter((m) => m !== undefined).sort((a, b) => b.version - a.version);
    const manifest = newest!;
    if (options.installedVersion !== undefined && manifest.version < options.installedVersion) {
      throw new UpdateRefusedError('rollback', `release ${manifest.version} is older than the installed release ${options.installedVersion}`);
    }
    return manifest;
  }

  /** The verified manifest at this target, or undefined when the repository lists none there. */
  private async manifestAt(updater: Updater, target: string): Promise<ReleaseManifest | undefined> {
    const info = await updater.getTargetInfo(target);
    if (!info) return undefined;
    if (info.length > (this.options.maxManifestBytes ?? 1_000_000)) throw new UpdateRefusedError('too-large', `release manifest ${target} of ${info.length} bytes`);
    const bytes = await withTempDir(async (dir) => fs.readFileSync(await updater.downloadTarget(info, path.join(dir, 'manifest.json'))));
    try {
      return parseManifest(bytes);
    } catch (error) {
      throw new UpdateRefusedError('invalid', `${target}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Downloads one file of a verified manifest to `destination`, checked against its length and sha256.
   * Written to a temp file and renamed, so `destination` is either absent or complete and correct.
   */
  async downloadFile(file: ReleaseFile, destination: string): Promise<void> {
    const updater = this.updater;
    if (!updater) throw new Error('downloadFile needs a verified manifest: call latestRelease() first');
    const info = new TargetFile({ path: file.target, length: file.length, hashes: { sha256: file.sha256 } });
    const partial = `${destination}.part`;
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    await this.guard(async () => {
      try {
        await updater.downloadTarget(info, partial, this.options.targetBaseUrl);
        const fd = fs.openSync(partial, 'r+');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(partial, destination);
      } finally {
        fs.rmSync(partial, { force: true });
      }
    });
  }

  private newUpdater(): Updater {
    return new Updater({
      metadataDir: this.options.metadataDir,
      metadataBaseUrl: this.options.metadataBaseUrl,
      targetBaseUrl: this.options.targetBaseUrl,
      config: { fetchTimeout: this.options.fetchTimeoutMs ?? 30_000, fetchRetry: 0 },
    });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw classifyRefusal(error);
    }
  }
}

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-'));
  try {
    return await work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
