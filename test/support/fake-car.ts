/**
 * A simulated car for the agent's tests: a blob store, per-service A/B slots, service processes with
 * health signals, the actuator's active generation and the pilot's model, plus injected faults (an
 * error or a hang, once, in a chosen phase). No real processes; the same AgentEffects a service
 * implements with real ones.
 */
import { createHash } from 'node:crypto';
import type { AgentEffects, AgentReport, CarMotion, ExitInfo, RunningService } from '../../car/agent/executor.ts';
import type { JournalStore } from '../../car/agent/journal.ts';
import type { ServiceInstance, SlotRef } from '../../car/agent/planner.ts';
import type { ModelRelease, Release, ReleaseFile } from '../../car/agent/release.ts';
import type { AgentState, Phase, Slot } from '../../car/agent/state.ts';

export function fileOf(path: string, content: string): ReleaseFile {
  return { path, target: path, sha256: createHash('sha256').update(content).digest('hex'), length: Buffer.byteLength(content) };
}

export type EffectFault = 'error' | 'hang';

export interface FaultPlan {
  phase: Phase;
  kind: EffectFault;
}

interface Process {
  instance: ServiceInstance;
  /** sha256 of the files it runs */
  content: string[];
  model: string[] | undefined;
  handle: RunningService;
  exit: (info: ExitInfo) => void;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const shas = (files: readonly ReleaseFile[] | undefined): string[] | undefined => files?.map((f) => f.sha256).sort();

export class FakeCar implements AgentEffects {
  readonly blobs = new Set<string>();
  /** `${service}/${slot}` → sha256 of the staged files */
  readonly slots = new Map<string, string[]>();
  readonly running = new Map<string, Process>();
  activeGen: number;
  car: CarMotion = { speed: 0, throttle: 0, stoppedForMs: 60_000 };
  free = 1e9;
  readonly reports: AgentReport[] = [];
  /** services that ran twice at once although they own hardware */
  readonly hardwareConflicts: string[] = [];
  /** how each new process behaves: by default it reports healthy soon after starting */
  behaviour: (instance: ServiceInstance) => 'healthy' | 'unhealthy' | 'silent' | 'crash' = () => 'healthy';
  /** the executor's journaled phase, to know when to inject a fault */
  phase: () => Phase = () => 'idle';
  fault: FaultPlan | undefined;
  faultFired = false;
  readonly hardwareServices: ReadonlySet<string>;

  constructor(installed: Release, gen = 1, hardwareServices: readonly string[] = []) {
    this.activeGen = gen;
    this.hardwareServices = new Set(hardwareServices);
    for (const file of [...Object.values(installed.services).flatMap((s) => s.files), ...(installed.model?.files ?? [])]) this.blobs.add(file.sha256);
    for (const [name, spec] of Object.entries(installed.services)) this.slots.set(`${name}/A`, shas(spec.files)!);
    this.boot(installed, gen, Object.fromEntries(Object.keys(installed.services).map((name) => [name, 'A' as Slot])));
  }

  /** A power cut: every process dies; the runtime starts the journaled installed release. */
  boot(release: Release | undefined, gen: number, slots: Record<string, Slot>): void {
    for (const process of this.running.values()) process.exit({ code: null, signal: 'SIGKILL' });
    this.running.clear();
    this.activeGen = gen;
    for (const name of Object.keys(release?.services ?? {})) this.spawn({ name, slot: slots[name] ?? 'A', gen }, release!, 'healthy');
  }

  /** Fires the armed fault once, when the agent is in its phase. */
  private trip(): EffectFault | undefined {
    if (!this.fault || this.faultFired || this.phase() !== this.fault.phase) return undefined;
    this.faultFired = true;
    return this.fault.kind;
  }

  private async faultable<T>(work: () => T | Promise<T>): Promise<T> {
    const fault = this.trip();
    if (fault === 'error') throw new Error(`injected error in ${this.phase()}`);
    if (fault === 'hang') return never<T>();
    return work();
  }

  private spawn(instance: ServiceInstance, release: Release, behaviour: ReturnType<FakeCar['behaviour']>): Process {
    const key = `${instance.name}@${instance.slot}`;
    if (this.hardwareServices.has(instance.name) && [...this.running.values()].some((p) => p.instance.name === instance.name)) {
      this.hardwareConflicts.push(key);
    }
    let exit!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((resolve) => (exit = resolve));
    let healthy: Promise<void>;
    if (behaviour === 'healthy') healthy = new Promise((resolve) => setTimeout(resolve, 1));
    else if (behaviour === 'unhealthy') healthy = new Promise((_resolve, reject) => setTimeout(() => reject(new Error('self-test failed')), 1));
    else healthy = never();
    healthy.catch(() => undefined);
    const process: Process = {
      instance,
      content: this.slots.get(`${instance.name}/${instance.slot}`) ?? [],
      model: instance.name === 'pilot' ? shas(release.model?.files) : undefined,
      handle: { healthy, exited },
      exit,
    };
    this.running.set(key, process);
    if (behaviour === 'crash') {
      setTimeout(() => {
        if (this.running.get(key) === process) {
          this.running.delete(key);
          exit({ code: 1, signal: null });
        }
      }, 1);
    }
    return process;
  }

  async blobsPresent(): Promise<ReadonlySet<string>> {
    return new Set(this.blobs);
  }

  freeBytes(): Promise<number> {
    return this.faultable(() => this.free);
  }

  download(blobs: readonly ReleaseFile[], onProgress: (bytesDone: number) => void): Promise<void> {
    return this.faultable(() => {
      let done = 0;
      for (const blob of blobs) {
        this.blobs.add(blob.sha256);
        done += blob.length;
        onProgress(done);
      }
    });
  }

  deleteUnneeded(slots: readonly SlotRef[], keepBlobs: ReadonlySet<string>): Promise<void> {
    return this.faultable(() => {
      for (const { service, slot } of slots) this.slots.delete(`${service}/${slot}`);
      for (const blob of [...this.blobs]) if (!keepBlobs.has(blob)) this.blobs.delete(blob);
    });
  }

  stage(service: string, slot: Slot, files: readonly ReleaseFile[]): Promise<void> {
    return this.faultable(() => {
      for (const file of files) if (!this.blobs.has(file.sha256)) throw new Error(`blob ${file.path} missing`);
      if ([...this.running.values()].some((p) => p.instance.name === service && p.instance.slot === slot)) {
        throw new Error(`staging ${service}/${slot} under a running process`);
      }
      this.slots.set(`${service}/${slot}`, shas(files)!);
    });
  }

  startService(instance: ServiceInstance, release: Release): Promise<RunningService> {
    const existing = this.running.get(`${instance.name}@${instance.slot}`);
    if (existing) return Promise.resolve(existing.handle);
    // a health-check fault shows in the first new process's signal, not in its start
    if (this.fault?.phase === 'health-check' && !this.faultFired && this.phase() === 'starting-new') {
      this.faultFired = true;
      return Promise.resolve(this.spawn(instance, release, this.fault.kind === 'error' ? 'unhealthy' : 'silent').handle);
    }
    return this.faultable(() => this.spawn(instance, release, this.behaviour(instance)).handle);
  }

  stopService(instance: ServiceInstance): Promise<void> {
    return this.faultable(() => {
      const key = `${instance.name}@${instance.slot}`;
      const process = this.running.get(key);
      if (!process) return;
      this.running.delete(key);
      process.exit({ code: 0, signal: 'SIGTERM' });
    });
  }

  switchGeneration(gen: number): Promise<void> {
    return this.faultable(() => {
      this.activeGen = gen;
    });
  }

  swapModel(model: ModelRelease | undefined, _options?: { confirm?: boolean }): Promise<void> {
    return this.faultable(() => {
      for (const process of this.running.values()) if (process.instance.name === 'pilot') process.model = shas(model?.files);
    });
  }

  carState(): Promise<CarMotion> {
    return this.faultable(() => ({ ...this.car }));
  }

  report(report: AgentReport): void {
    this.reports.push(report);
  }

  /**
   * Why the car does not run exactly the installed release of `state`, or undefined when it does:
   * each service once, from its slot, with the release's files, the pilot on the release's model,
   * the actuator following the installed generation.
   */
  inconsistency(state: AgentState): string | undefined {
    const release = state.current.release;
    const expected = Object.keys(release?.services ?? {}).sort();
    const names = [...this.running.values()].map((p) => p.instance.name).sort();
    if (JSON.stringify(names) !== JSON.stringify(expected)) return `running ${names.join(',')}, expected ${expected.join(',')}`;
    for (const process of this.running.values()) {
      const { name, slot } = process.instance;
      if (slot !== state.current.slots[name]) return `${name} runs from ${slot}, installed in ${state.current.slots[name]}`;
      if (JSON.stringify(process.content) !== JSON.stringify(shas(release!.services[name]!.files))) return `${name} runs other files than v${release!.version}`;
      if (name === 'pilot' && JSON.stringify(process.model) !== JSON.stringify(shas(release!.model?.files))) return `pilot holds another model than v${release!.version}`;
    }
    if (this.activeGen !== state.current.gen) return `actuator follows gen ${this.activeGen}, installed gen ${state.current.gen}`;
    return undefined;
  }
}

/** Marks the journal write that makes the agent die (kill -9), or fail or hang (a disk fault). */
export type JournalFault = { kind: 'kill' | 'power-cut'; phase: Phase } | { kind: 'error' | 'hang'; phase: 'committing' };

export class AgentKilled extends Error {
  override name = 'AgentKilled';
}

/** A journal in memory that records the path of phases and can kill the agent right after a write. */
export class RecordingJournal implements JournalStore {
  private saved: string | undefined;
  private lastPhase: Phase | undefined;
  readonly path: string[] = [];
  fault: JournalFault | undefined;
  fired = false;
  onKill: ((state: AgentState, kind: 'kill' | 'power-cut') => void) | undefined;

  async load(): Promise<AgentState | undefined> {
    return this.saved === undefined ? undefined : (JSON.parse(this.saved) as AgentState);
  }

  async save(state: AgentState): Promise<void> {
    const fault = this.fault;
    if (fault && !this.fired && (fault.kind === 'error' || fault.kind === 'hang') && this.lastPhase === fault.phase && state.phase !== fault.phase) {
      this.fired = true;
      if (fault.kind === 'error') throw new Error('injected journal write error');
      return never();
    }
    this.saved = JSON.stringify(state);
    this.lastPhase = state.phase;
    this.path.push(state.phase);
    if (fault && !this.fired && (fault.kind === 'kill' || fault.kind === 'power-cut') && state.phase === fault.phase) {
      this.fired = true;
      this.onKill?.(state, fault.kind);
      throw new AgentKilled(`agent killed after journaling ${state.phase}`);
    }
  }

  /** Seeds the journal without recording a step. */
  seed(state: AgentState): void {
    this.saved = JSON.stringify(state);
    this.lastPhase = state.phase;
  }
}
