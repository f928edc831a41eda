/**
 * Test-only fault injection, in the spirit of Mender's state scripts: with EDGE_AGENT_FAULT_FILE set,
 * the agent reads that file as it goes; the fault named there fires once, at its phase. The file is
 * consumed first (so a restarted agent goes on), then `<file>.fired` records the agent's pid and the
 * fault.
 * - `hold:<phase>` and `crash:<phase>` fire right after <phase> is journaled: `hold` stops the agent
 *   with SIGSTOP (a hung agent, for the test to kill -9), `crash` exits at once without cleanup.
 * - `error:<phase>` and `hang:<phase>` fire in the phase's own I/O (its download, its service start,
 *   its generation switch…): `error` makes it fail, `hang` makes it never finish, so the step's
 *   deadline has to catch it.
 * Unset: unused.
 */
import fs from 'node:fs';
import type { AgentEffects } from './executor.ts';
import type { JournalStore } from './journal.ts';
import { PHASES, type Phase } from './state.ts';

export const FAULT_ACTIONS = ['hold', 'crash', 'error', 'hang'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];
const AFTER_JOURNAL: readonly FaultAction[] = ['hold', 'crash'];
const IN_STEP: readonly FaultAction[] = ['error', 'hang'];

export interface Fault {
  action: FaultAction;
  phase: Phase;
}

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** Parses `<action>:<phase>`; throws a FaultSpecError naming what is wrong. */
export function parseFault(text: string): Fault {
  const [action, phase, extra] = text.trim().split(':');
  if (extra !== undefined || !action || !phase) throw new FaultSpecError(`fault '${text.trim()}' must be <action>:<phase>`);
  if (!(FAULT_ACTIONS as readonly string[]).includes(action)) throw new FaultSpecError(`fault action '${action}' must be one of ${FAULT_ACTIONS.join(', ')}`);
  if (!(PHASES as readonly string[]).includes(phase)) throw new FaultSpecError(`fault phase '${phase}' must be one of ${PHASES.join(', ')}`);
  return { action: action as FaultAction, phase: phase as Phase };
}

/** The fault the file asks for in this phase, among `actions`, consuming the file; undefined when none applies. */
export function takeFault(file: string, phase: Phase, actions: readonly FaultAction[] = FAULT_ACTIONS): Fault | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const fault = parseFault(text);
  if (fault.phase !== phase || !actions.includes(fault.action)) return undefined;
  fs.rmSync(file, { force: true });
  fs.writeFileSync(`${file}.fired`, JSON.stringify({ pid: process.pid, ...fault }));
  return fault;
}

export class InjectedUpdateFault extends Error {
  override name = 'InjectedUpdateFault';
}

/** The journal, with the fault in `file` fired right after the state it names is on disk. */
export function withFaultInjection(journal: JournalStore, file: string): JournalStore {
  return {
    load: () => journal.load(),
    async save(state) {
      await journal.save(state);
      const fault = takeFault(file, state.phase, AFTER_JOURNAL);
      if (!fault) return;
      if (fault.action === 'crash') process.exit(70);
      process.kill(process.pid, 'SIGSTOP');
    },
  };
}

/** The effects, with an `error` or `hang` fault fired in the I/O of the phase it names (observations and reports are left alone). */
export function withFaultyEffects(effects: AgentEffects, file: string, phase: () => Phase | undefined): AgentEffects {
  const fire = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const now = phase();
    const fault = now === undefined ? undefined : takeFault(file, now, IN_STEP);
    if (fault?.action === 'error') return Promise.reject(new InjectedUpdateFault(`injected error in ${now} (${name})`));
    if (fault?.action === 'hang') return new Promise<T>(() => {});
    return work();
  };
  return {
    blobsPresent: () => effects.blobsPresent(),
    carState: () => effects.carState(),
    report: (report) => effects.report(report),
    freeBytes: () => fire('freeBytes', () => effects.freeBytes()),
    download: (blobs, onProgress) => fire('download', () => effects.download(blobs, onProgress)),
    deleteUnneeded: (slots, keep) => fire('deleteUnneeded', () => effects.deleteUnneeded(slots, keep)),
    stage: (service, slot, files) => fire('stage', () => effects.stage(service, slot, files)),
    startService: (instance, release) => fire('startService', () => effects.startService(instance, release)),
    stopService: (instance) => fire('stopService', () => effects.stopService(instance)),
    switchGeneration: (gen) => fire('switchGeneration', () => effects.switchGeneration(gen)),
    swapModel: (model, options) => fire('swapModel', () => effects.swapModel(model, options)),
  };
}
