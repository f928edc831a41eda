/**
 * The agent's effects on a real car: blobs over HTTP, A/B slots on disk, service processes, the
 * active generation and the model pointer over the car-local bus. Each method does I/O only; what
 * to do and when stays with the planner.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../../runtime/index.ts';
import { modelLabel, type ModelPointer } from '../pilot/index.ts';
import type { BlobStore } from './blob-store.ts';
import type { CarLink } from './car-link.ts';
import type { AgentEffects, AgentReport, CarMotion, RunningService } from './executor.ts';
import type { ServiceInstance, SlotRef } from './planner.ts';
import type { ModelRelease, Release, ReleaseFile } from './release.ts';
import type { OsReport } from './os-update.ts';
import type { LaunchSpec, ServiceProcesses } from './service-processes.ts';
import type { SlotStore } from './slot-store.ts';
import type { Slot } from './state.ts';

export interface CarEffectsOptions {
  carId: string;
  blobs: BlobStore;
  slots: SlotStore;
  processes: ServiceProcesses;
  link: CarLink;
  log: Logger;
  modelsDir: string;
  modelPointer: string;
  /** extra runner arguments every service gets, e.g. `--config <file>` */
  runnerArgs: string[];
  /** services whose processes are told their generation; the others are one process whatever the generation */
  drivePublishers: readonly string[];
  /** the installed release's version, for reports */
  installedVersion: () => number;
  /** the car OS's version, reported with every report (undefined off the project's image) */
  osVersion?: string | undefined;
  /** the OS slots and the last OS update, reported with every report (the OS step's view) */
  osReport?: () => OsReport;
  /** how long switchGeneration waits for the actuator to confirm */
  confirmMs?: number;
  /** how long a swapped model has to show up in the pilot's telemetry (default 30 s) */
  modelConfirmMs?: number;
}

/** A model's directory name: derived from its content, so the same model is never staged twice. */
export function modelVersion(model: ModelRelease): string {
  const listing = [...model.files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => `${f.path}\0${f.sha256}`);
  return createHash('sha256').update(listing.join('\n')).digest('hex').slice(0, 16);
}

export class CarEffects implements AgentEffects {
  private activeGen = 0;
  private lastReport: AgentReport = { release: 'none', slot: 'A', state: 'starting', progress: 0 };
  private pollError: string | undefined;

  constructor(private readonly options: CarEffectsOptions) {}

  /** The generation the actuator follows, as the agent publishes it. */
  get generation(): number {
    return this.activeGen;
  }

  /** Sets the published generation without waiting (the agent's start, from its journal). */
  announceGeneration(gen: number): void {
    this.activeGen = gen;
    this.publish();
  }

  /** A refused or failed poll of the repository: reported, while the running version keeps running. */
  setPollError(message: string | undefined): void {
    if (message === this.pollError) return;
    this.pollError = message;
    this.publish();
  }

  /** One process per service whatever the generation, except for the drive publishers. */
  normalize(instance: ServiceInstance): ServiceInstance {
    return this.options.drivePublishers.includes(instance.name) ? instance : { ...instance, gen: 0 };
  }

  blobsPresent(): Promise<ReadonlySet<string>> {
    return this.options.blobs.present();
  }

  freeBytes(): Promise<number> {
    return this.options.blobs.freeBytes();
  }

  download(blobs: readonly ReleaseFile[], onProgress: (bytesDone: number) => void): Promise<void> {
    return this.options.blobs.download(blobs, onProgress);
  }

  async deleteUnneeded(slots: readonly SlotRef[], keepBlobs: ReadonlySet<string>): Promise<void> {
    for (const { service, slot } of slots) await this.options.slots.wipe(service, slot);
    await this.options.blobs.deleteExcept(keepBlobs);
  }

  stage(service: string, slot: Slot, files: readonly ReleaseFile[]): Promise<void> {
    return this.options.slots.stage(service, slot, files);
  }

  startService(instance: ServiceInstance, release: Release | undefined): Promise<RunningService> {
    const normalized = this.normalize(instance);
    return this.options.processes.start(normalized, this.launcher(normalized, release));
  }

  /** How an instance of `release` is (re)started: its slot's bundle, or the factory code. */
  launcher(instance: ServiceInstance, release: Release | undefined): () => Promise<LaunchSpec> {
    return () => this.launchSpec(instance, release);
  }

  stopService(instance: ServiceInstance): Promise<void> {
    return this.options.processes.stop(this.normalize(instance));
  }

  /**
   * Publishes the generation and waits until the actuator's `applied` messages report it. With no
   * actuator talking at all (none running) the published heartbeat is all there is to do.
   */
  async switchGeneration(gen: number): Promise<void> {
    const since = Date.now();
    this.activeGen = gen;
    this.publish();
    const { link } = this.options;
    const confirmMs = this.options.confirmMs ?? 5000;
    // re-announced while waiting: an actuator that has just (re)started may have missed the first one
    const repeat = setInterval(() => this.publish(), 200);
    const confirmed = await link.until((s) => s.applied?.activeGen === gen, confirmMs).finally(() => clearInterval(repeat));
    if (confirmed) return;
    const heard = (link.snapshot.applied?.at ?? 0) >= since;
    if (heard) throw new Error(`the actuator still follows generation ${link.snapshot.applied?.activeGen ?? 'any'}, not ${gen}, after ${confirmMs} ms`);
    this.options.log.warn({ gen }, 'no actuator confirmed the generation switch (none running?)');
  }

  /** Stages the model under `models/<version>/` and points `model.json` at it; the pilot loads it between two frames. */
  async swapModel(model: ModelRelease | undefined, options: { confirm?: boolean } = {}): Promise<void> {
    const { modelPointer, modelsDir, blobs } = this.options;
    if (!model) {
      await fs.rm(modelPointer, { force: true });
      return;
    }
    const since = Date.now();
    const version = modelVersion(model);
    const dir = path.join(modelsDir, version);
    if (!(await fs.stat(dir).catch(() => undefined))) {
      const temp = `${dir}.staging`;
      await fs.rm(temp, { recursive: true, force: true });
      for (const file of model.files) {
        const destination = path.join(temp, file.path);
        if (!destination.startsWith(`${temp}${path.sep}`)) throw new Error(`model file path '${file.path}' leaves its directory`);
        await fs.mkdir(path.dirname(destination), { recursive: true });
        await fs.link(blobs.pathOf(file.sha256), destination).catch(() => fs.copyFile(blobs.pathOf(file.sha256), destination));
      }
      await fs.rename(temp, dir);
    }
    const pointer: ModelPointer = { dir: path.resolve(dir), name: model.name ?? version, version };
    await writeFileAtomic(modelPointer, `${JSON.stringify(pointer)}\n`);
    this.options.log.info(pointer, 'model pointer replaced');
    if (options.confirm) await this.confirmModel(pointer, since);
  }

  /**
   * Waits until the pilot's telemetry names the pointer's model. A pilot that cannot load it keeps
   * its running model and reports that one: the swap then fails and is rolled back. With no pilot
   * reporting at all (none running), the pointer is all there is to do.
   */
  private async confirmModel(pointer: ModelPointer, since: number): Promise<void> {
    const { link } = this.options;
    const label = modelLabel(pointer);
    const waitMs = this.options.modelConfirmMs ?? 30_000;
    const confirmed = await link.until((s) => s.telemetry !== undefined && s.telemetry.at >= since && s.telemetry.model === label, waitMs);
    if (confirmed) return;
    const heard = link.snapshot.telemetry;
    if (heard && heard.at >= since) throw new Error(`the pilot still drives on '${heard.model}', not '${label}', ${waitMs} ms after the swap (it could not load the model?)`);
    this.options.log.warn({ model: label }, 'no pilot reported after the model swap (none running?)');
  }

  carState(): Promise<CarMotion> {
    return Promise.resolve(this.options.link.carState());
  }

  report(report: AgentReport): void {
    this.lastReport = report;
    this.publish();
  }

  /** The latest report again: the heartbeat the actuator follows. */
  publish(): void {
    const error = this.pollError ?? this.lastReport.error;
    const { error: _error, ...rest } = this.lastReport;
    const os = this.options.osVersion;
    this.options.link.report({
      ...rest,
      ...(error ? { error: error.slice(0, 2000) } : {}),
      gen: this.activeGen,
      version: this.options.installedVersion(),
      ...(os ? { os } : {}),
      ...this.options.osReport?.(),
    });
  }

  private async launchSpec(instance: ServiceInstance, release: Release | undefined): Promise<LaunchSpec> {
    const entry = release?.services[instance.name]?.entry;
    const file = await this.options.slots.entryFile(instance.name, instance.slot, entry);
    return {
      args: ['car', instance.name, '--car', this.options.carId, ...this.options.runnerArgs, ...(file ? ['--module', file] : [])],
      env: { ...process.env, EDGE_PILOT_GEN: String(instance.gen) },
    };
  }
}
