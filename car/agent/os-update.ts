/**
 * The agent's OS step: observes (RAUC's status, the trial marker, the record of the last OS update,
 * the car at rest, the operator's go, the car's health), asks the pure OS planner (os-plan.ts) for
 * one step and performs it. Its files live in the OS folder on the data partition:
 * - `bundles/<sha256>`: downloaded bundles (the blob store: resumable, verified against TUF's hash),
 *   linked as `<bundle.path>` (RAUC wants a `.raucb` name) for the install. A chunked bundle carries
 *   only its image's index: during its install the agent serves RAUC's casync the chunks the running
 *   slot lacks from the NUC (chunk-proxy.ts);
 * - `trial.json`: the trial marker, written atomically (the folder fsynced) once a bundle is installed;
 * - `reboot-request`: the image's root path unit reboots the car when it appears;
 * - `os-update.json`: the last OS update's outcome and the versions never to install again.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { OS_UPDATE_OUTCOMES, type OsRelease } from '../../protocol/index.ts';
import { writeFileAtomic } from '../../runtime/index.ts';
import type { BlobStore } from './blob-store.ts';
import { ChunkProxy } from './chunk-proxy.ts';
import { planOs, recordOutcome, servicesMayApply, type OsHealth, type OsOutcome, type OsPlanConfig, type OsRecord, type OsStep, type TrialMarker } from './os-plan.ts';
import type { RaucControl, RaucStatus } from './rauc.ts';
import type { Slot } from './state.ts';

export const TRIAL_MARKER = 'trial.json';
export const REBOOT_REQUEST = 'reboot-request';
export const OS_RECORD = 'os-update.json';
const BUNDLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.raucb$/;
const VERSION = /^[A-Za-z0-9._+-]{1,64}$/;
/** how often RAUC is asked while no OS update is under way, ms */
const STATUS_REFRESH_MS = 15_000;
/** installs that failed for a passing reason (chunks not delivered, RAUC's service gone) are tried this often before the update fails */
const INSTALL_TRIES = 5;
/**
 * RAUC's service failing rather than refusing the bundle: Debian's RAUC 1.8 service has died on a
 * second install in one run ("RAUC service disappeared"; D-Bus starts a fresh one at the next call),
 * and D-Bus calls time out while the machine is loaded. Not the release's fault: tried again.
 */
const RAUC_SERVICE_FAILURE = /RAUC service disappeared|Timeout was reached|org\.freedesktop\.DBus\.Error\.(NoReply|ServiceUnknown|Spawn)/;

/** What the agent reports about the OS (AgentHeader os, osSlots, osUpdate). */
export interface OsReport {
  os?: string;
  osSlots?: { booted: Slot; A: { state: 'good' | 'bad' | 'inactive'; version?: string }; B: { state: 'good' | 'bad' | 'inactive'; version?: string } };
  osUpdate?: { version: string; outcome: OsOutcome; reason?: string; at: number; downloadedBytes?: number };
}

export interface OsUpdaterOptions {
  dir: string;
  rauc: RaucControl;
  /** the bundle store, under `<dir>/bundles` */
  bundles: BlobStore;
  /** where a chunked bundle's chunks come from during its install: the NUC's pool, served to RAUC on loopback */
  chunks?: { upstream: string; port: number };
  config: OsPlanConfig;
  log: Logger;
  /** the running OS's version; undefined off the project's image */
  running: string | undefined;
  health: () => OsHealth;
  restForMs: () => number;
  operatorAllows: () => boolean;
  /** the report changed */
  onReport: () => void;
  /** the previous boot's journal tail; default `journalctl -b -1 -n 30` */
  previousBootLog?: () => Promise<string | undefined>;
  clock?: () => number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The trial marker read back from disk; undefined (and a log line) when it is not one. */
export function parseMarker(raw: unknown): TrialMarker {
  if (!isRecord(raw)) throw new Error('trial marker must be an object');
  const { version, slot, startedAt, deadlineS, rebootAt, trialSince, failed } = raw;
  if (typeof version !== 'string' || !VERSION.test(version)) throw new Error('trial marker version must be an OS version');
  if (slot !== 'A' && slot !== 'B') throw new Error("trial marker slot must be 'A' or 'B'");
  if (typeof startedAt !== 'number' || !Number.isFinite(startedAt)) throw new Error('trial marker startedAt must be a number');
  if (deadlineS !== undefined && (typeof deadlineS !== 'number' || !(deadlineS > 0))) throw new Error('trial marker deadlineS must be a positive number');
  if (rebootAt !== undefined && (typeof rebootAt !== 'number' || !Number.isFinite(rebootAt))) throw new Error('trial marker rebootAt must be a number');
  if (trialSince !== undefined && (typeof trialSince !== 'number' || !Number.isFinite(trialSince))) throw new Error('trial marker trialSince must be a number');
  if (failed !== undefined && typeof failed !== 'string') throw new Error('trial marker failed must be a string');
  return {
    version,
    slot,
    startedAt,
    ...(deadlineS !== undefined ? { deadlineS } : {}),
    ...(rebootAt !== undefined ? { rebootAt } : {}),
    ...(trialSince !== undefined ? { trialSince } : {}),
    ...(failed !== undefined ? { failed: failed.slice(0, 500) } : {}),
  };
}

const OUTCOMES: readonly string[] = OS_UPDATE_OUTCOMES;

export function parseRecord(raw: unknown): OsRecord {
  if (!isRecord(raw)) throw new Error('OS record must be an object');
  const failed = Array.isArray(raw.failed) ? raw.failed.filter((v): v is string => typeof v === 'string' && VERSION.test(v)).slice(-16) : [];
  const update = raw.update;
  if (!isRecord(update)) return { failed };
  if (typeof update.version !== 'string' || !VERSION.test(update.version)) throw new Error('OS record update.version must be an OS version');
  if (typeof update.outcome !== 'string' || !OUTCOMES.includes(update.outcome)) throw new Error(`OS record update.outcome must be one of ${OUTCOMES.join(', ')}`);
  if (typeof update.at !== 'number' || !Number.isFinite(update.at)) throw new Error('OS record update.at must be a number');
  const reason = typeof update.reason === 'string' ? update.reason.slice(0, 500) : undefined;
  const { downloadedBytes } = update;
  if (downloadedBytes !== undefined && !(Number.isSafeInteger(downloadedBytes) && (downloadedBytes as number) >= 0)) throw new Error('OS record update.downloadedBytes must be a whole number of bytes');
  return {
    failed,
    update: { version: update.version, outcome: update.outcome as OsOutcome, at: update.at, ...(reason !== undefined ? { reason } : {}), ...(downloadedBytes !== undefined ? { downloadedBytes: downloadedBytes as number } : {}) },
  };
}

async function readJson(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  if (text.length > 64 * 1024) throw new Error(`${file} is larger than 64 KiB`);
  return JSON.parse(text) as unknown;
}

async function removeSynced(file: string): Promise<void> {
  await fs.rm(file, { force: true });
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function journalTail(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('journalctl', ['-b', '-1', '-n', '30', '--no-pager', '-o', 'short-monotonic'], { timeout: 10_000, maxBuffer: 256 * 1024, encoding: 'utf8' }, (error, stdout) => {
      const text = stdout.trim();
      resolve(error || text === '' || /no persistent journal|specifies boot ID.*not found|Data from the specified boot/i.test(text) ? undefined : text);
    });
  });
}

export class OsUpdater {
  private markerNow: TrialMarker | undefined;
  private recordNow: OsRecord;
  private status: RaucStatus | { error: string } = { error: 'not asked yet' };
  private statusAt = 0;
  private readonly bootStartedAt: number;
  private readonly clock: () => number;
  private lastLogged = '';
  private retryAt = 0;
  private downloadFailures = 0;
  private installFailures = 0;
  /** chunk bytes fetched by earlier, failed tries of this version's install: what it downloaded counts them too */
  private earlierChunkBytes = { version: '', bytes: 0 };

  private constructor(
    private readonly options: OsUpdaterOptions,
    marker: TrialMarker | undefined,
    record: OsRecord,
  ) {
    this.clock = options.clock ?? Date.now;
    this.bootStartedAt = this.clock();
    this.markerNow = marker;
    this.recordNow = record;
  }

  static async open(options: OsUpdaterOptions): Promise<OsUpdater> {
    await fs.mkdir(options.dir, { recursive: true });
    let marker: TrialMarker | undefined;
    let record: OsRecord = { failed: [] };
    const markerFile = path.join(options.dir, TRIAL_MARKER);
    try {
      const raw = await readJson(markerFile);
      if (raw !== undefined) marker = parseMarker(raw);
    } catch (error) {
      // a torn marker cannot say which slot is on trial: RAUC's own fallback still protects the car
      options.log.error({ err: (error as Error).message, file: markerFile }, 'unreadable trial marker removed');
      await removeSynced(markerFile);
    }
    try {
      const raw = await readJson(path.join(options.dir, OS_RECORD));
      if (raw !== undefined) record = parseRecord(raw);
    } catch (error) {
      options.log.error({ err: (error as Error).message }, 'unreadable OS update record; starting afresh');
    }
    const updater = new OsUpdater(options, marker, record);
    if (marker) options.log.info({ marker }, 'OS trial marker found');
    return updater;
  }

  get marker(): TrialMarker | undefined {
    return this.markerNow;
  }

  get record(): OsRecord {
    return this.recordNow;
  }

  /** Whether a release's services and model may be applied now (its OS runs; no OS update under way). */
  servicesMayApply(target: { os?: OsRelease } | undefined): boolean {
    return servicesMayApply(target, this.options.running, this.markerNow);
  }

  report(): OsReport {
    const report: OsReport = {};
    if (this.options.running) report.os = this.options.running;
    if (!('error' in this.status)) {
      const { booted, slots } = this.status;
      const slot = (s: Slot) => {
        const version = slots[s].version ?? (s === booted ? this.options.running : undefined);
        return { state: slots[s].state, ...(version && VERSION.test(version) ? { version } : {}) };
      };
      report.osSlots = { booted, A: slot('A'), B: slot('B') };
    }
    if (this.recordNow.update) report.osUpdate = this.recordNow.update;
    return report;
  }

  /** One observe → plan → perform round; returns the step (a 'wait' or 'none' does nothing). */
  async runOnce(target: OsRelease | undefined): Promise<OsStep> {
    const now = this.clock();
    // RAUC is asked each round while an OS update is under way, else now and then
    const busy = this.markerNow !== undefined || (target !== undefined && target.version !== this.options.running);
    if (busy || now - this.statusAt >= STATUS_REFRESH_MS || 'error' in this.status) await this.refreshStatus();
    const bundlePresent = target ? (await this.options.bundles.present()).has(target.bundle.sha256) : false;
    const step = planOs(
      {
        now,
        running: this.options.running,
        rauc: this.status,
        marker: this.markerNow,
        record: this.recordNow,
        target,
        bundlePresent,
        restForMs: this.options.restForMs(),
        operatorAllows: this.options.operatorAllows(),
        health: this.options.health(),
        bootStartedAt: this.bootStartedAt,
      },
      this.options.config,
    );
    if (now < this.retryAt && (step.kind === 'download' || step.kind === 'install')) return { kind: 'wait', version: step.os.version, outcome: 'pending-reboot', reason: 'retry later' };
    await this.perform(step);
    // what RAUC says after an install or a mark is reported at once
    if (step.kind === 'install' || step.kind === 'mark-good' || step.kind === 'mark-bad-and-reboot') await this.refreshStatus();
    return step;
  }

  private async refreshStatus(): Promise<void> {
    if (this.options.running === undefined) return;
    const before = JSON.stringify(this.status);
    try {
      this.status = await this.options.rauc.status();
    } catch (error) {
      this.status = { error: (error as Error).message };
    }
    this.statusAt = this.clock();
    if (JSON.stringify(this.status) !== before) this.options.onReport();
  }

  private logOnce(step: OsStep, message: string): void {
    const key = JSON.stringify(step);
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.options.log.info({ step }, message);
  }

  private async setOutcome(version: string, outcome: OsOutcome, reason?: string, downloadedBytes?: number): Promise<void> {
    const current = this.recordNow.update;
    if (current && current.version === version && current.outcome === outcome && current.reason === reason && (downloadedBytes === undefined || current.downloadedBytes === downloadedBytes)) return;
    const next = recordOutcome(this.recordNow, version, outcome, this.clock(), reason, downloadedBytes);
    await writeFileAtomic(path.join(this.options.dir, OS_RECORD), `${JSON.stringify(next)}\n`);
    this.recordNow = next;
    this.options.log.info({ version, outcome, reason, downloadedBytes: next.update?.downloadedBytes }, 'OS update');
    this.options.onReport();
  }

  private async writeMarker(marker: TrialMarker | undefined): Promise<void> {
    const file = path.join(this.options.dir, TRIAL_MARKER);
    if (marker) await writeFileAtomic(file, `${JSON.stringify(marker)}\n`);
    else await removeSynced(file);
    this.markerNow = marker;
  }

  private async requestReboot(reason: string): Promise<void> {
    const file = path.join(this.options.dir, REBOOT_REQUEST);
    if (await fs.stat(file).catch(() => undefined)) return; // asked already; the machine reboots
    this.options.log.warn({ reason }, 'requesting a reboot');
    await writeFileAtomic(file, `${JSON.stringify({ at: this.clock(), reason })}\n`);
  }

  private bundleFile(os: OsRelease): string {
    if (!BUNDLE_NAME.test(os.bundle.path)) throw new Error(`OS bundle path '${os.bundle.path}' is not a plain *.raucb file name`);
    return path.join(this.options.dir, os.bundle.path);
  }

  /** Deletes downloaded bundles and their links (a whole slot's worth of space each). */
  private async dropBundles(): Promise<void> {
    await this.options.bundles.deleteExcept(new Set());
    for (const name of await fs.readdir(this.options.dir)) if (name.endsWith('.raucb')) await fs.rm(path.join(this.options.dir, name), { force: true });
  }

  private async previousBootLog(): Promise<string> {
    const tail = await (this.options.previousBootLog ?? journalTail)().catch(() => undefined);
    return tail ?? "the previous boot's log is gone (the journal is volatile)";
  }

  private async perform(step: OsStep): Promise<void> {
    const { rauc, log } = this.options;
    switch (step.kind) {
      case 'none':
        return;
      case 'wait':
        if (step.outcome === 'trial' && this.markerNow && this.markerNow.trialSince === undefined) await this.writeMarker({ ...this.markerNow, trialSince: this.bootStartedAt });
        await this.setOutcome(step.version, step.outcome, step.outcome === 'trial' ? step.reason : undefined);
        return;
      case 'hold':
        this.logOnce(step, 'OS update held');
        return;
      case 'skip':
        this.logOnce(step, 'OS update skipped');
        await this.setOutcome(step.version, 'failed', step.reason);
        return;
      case 'refuse':
        await this.setOutcome(step.version, 'failed', step.reason);
        return;
      case 'download':
        await this.setOutcome(step.os.version, 'downloading');
        try {
          await this.options.bundles.download([step.os.bundle]);
          this.downloadFailures = 0;
        } catch (error) {
          this.downloadFailures++;
          this.retryAt = this.clock() + Math.min(60_000, 1000 * 2 ** this.downloadFailures);
          log.warn({ err: (error as Error).message }, 'OS bundle download failed; resumes later');
          await this.setOutcome(step.os.version, 'downloading', (error as Error).message);
        }
        return;
      case 'install': {
        const { version } = step.os;
        if (this.earlierChunkBytes.version !== version) this.earlierChunkBytes = { version, bytes: 0 };
        // the bundle, and the chunks earlier tries of this install fetched
        const downloadedBefore = step.os.bundle.length + this.earlierChunkBytes.bytes;
        await this.setOutcome(version, 'installing', undefined, downloadedBefore);
        let chunks: ChunkProxy | undefined;
        try {
          chunks = this.options.chunks ? await ChunkProxy.start({ ...this.options.chunks, log }) : undefined;
        } catch (error) {
          // another process holds the port: nothing is wrong with the release
          this.retryAt = this.clock() + 60_000;
          log.warn({ err: (error as Error).message }, 'OS install put off');
          await this.setOutcome(version, 'installing', `${(error as Error).message}; retrying`);
          return;
        }
        let file: string | undefined;
        try {
          file = this.bundleFile(step.os);
          await fs.rm(file, { force: true });
          const blob = this.options.bundles.pathOf(step.os.bundle.sha256);
          await fs.link(blob, file).catch(() => fs.copyFile(blob, file!));
          const started = this.clock();
          await rauc.install(file);
          log.info({ version, slot: step.slot, ms: this.clock() - started, chunks: chunks?.chunks, chunkBytes: chunks?.bytes }, 'OS bundle installed');
        } catch (error) {
          const message = (error as Error).message;
          const downloaded = downloadedBefore + (chunks?.bytes ?? 0);
          // chunks the NUC did not deliver, or RAUC's service failing, are not a bad release: try again, a few times
          const passing = chunks && chunks.refused > 0 ? `${chunks.refused} chunk(s) not delivered` : RAUC_SERVICE_FAILURE.test(message) ? "RAUC's service failed" : undefined;
          if (passing && ++this.installFailures < INSTALL_TRIES) {
            this.earlierChunkBytes.bytes += chunks?.bytes ?? 0;
            this.retryAt = this.clock() + Math.min(60_000, 2000 * 2 ** this.installFailures);
            log.warn({ err: message, refused: chunks?.refused }, `OS install failed (${passing}); retrying`);
            await this.setOutcome(version, 'installing', `${passing}; retrying: ${message}`, downloaded);
            return;
          }
          await this.setOutcome(version, 'failed', message, downloaded);
          await this.dropBundles();
          return;
        } finally {
          await chunks?.close();
          if (file) await fs.rm(file, { force: true });
        }
        this.installFailures = 0;
        await this.writeMarker({ version, slot: step.slot, startedAt: this.clock(), deadlineS: this.options.config.healthS });
        await this.setOutcome(version, 'pending-reboot', undefined, downloadedBefore + (chunks?.bytes ?? 0));
        return;
      }
      case 'reboot':
        if (this.markerNow && this.markerNow.rebootAt === undefined) await this.writeMarker({ ...this.markerNow, rebootAt: this.clock() });
        await this.setOutcome(step.version, 'rebooting', step.reason);
        await this.requestReboot(`into OS ${step.version}: ${step.reason}`);
        return;
      case 'mark-good':
        await rauc.markGood();
        if (!step.trial) {
          log.info({ version: step.version }, 'booted OS slot marked good');
          return;
        }
        await this.writeMarker(undefined);
        await this.setOutcome(step.version, 'good');
        await this.dropBundles();
        return;
      case 'mark-bad-and-reboot':
        if (this.markerNow && this.markerNow.failed === undefined) {
          await rauc.markBad();
          await this.writeMarker({ ...this.markerNow, failed: step.reason });
        }
        await this.setOutcome(step.version, 'failed', step.reason);
        await this.requestReboot(`OS ${step.version} marked bad: ${step.reason}`);
        return;
      case 'report-rolled-back': {
        const status = this.status;
        const slots = 'error' in status ? `RAUC: ${status.error}` : `RAUC: A ${status.slots.A.state}${status.slots.A.version ? ` (${status.slots.A.version})` : ''}, B ${status.slots.B.state}${status.slots.B.version ? ` (${status.slots.B.version})` : ''}`;
        const journal = await this.previousBootLog();
        log.warn({ version: step.version, slot: step.slot, reason: step.reason, previousBoot: journal }, 'the car came back on its old OS slot');
        const reason = `back on slot ${step.slot}: ${step.reason}; ${slots}; previous boot: ${journal.split('\n').slice(-3).join(' | ')}`;
        await this.setOutcome(step.version, 'rolled-back', reason);
        await this.writeMarker(undefined);
        await this.dropBundles();
        return;
      }
      case 'discard':
        log.info({ version: step.version, reason: step.reason }, 'installed OS bundle discarded');
        await this.writeMarker(undefined);
        await fs.rm(path.join(this.options.dir, REBOOT_REQUEST), { force: true });
        return;
    }
  }
}
