/**
 * Test-only fault injection, in the spirit of Mender's state scripts: with EDGE_AGENT_FAULT_FILE set,
 * after every journaled state the agent reads that file; `hold:<phase>` or `crash:<phase>` fires
 * once the agent has journaled <phase>. The file is consumed first (so the restarted agent goes on),
 * then `<file>.fired` records the agent's pid and the phase: `hold` stops the agent with SIGSTOP (a
 * hung agent, for the test to kill -9), `crash` exits at once without any cleanup. Unset: unused.
 */
import fs from 'node:fs';
import type { JournalStore } from './journal.ts';
import { PHASES, type AgentState, type Phase } from './state.ts';

export const FAULT_ACTIONS = ['hold', 'crash'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

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

/** The fault the file asks for at this state, consuming the file; undefined when none applies. */
export function takeFault(file: string, state: AgentState): Fault | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const fault = parseFault(text);
  if (fault.phase !== state.phase) return undefined;
  fs.rmSync(file, { force: true });
  return fault;
}

/** The journal, with the fault in `file` fired right after the state it names is on disk. */
export function withFaultInjection(journal: JournalStore, file: string): JournalStore {
  return {
    load: () => journal.load(),
    async save(state) {
      await journal.save(state);
      const fault = takeFault(file, state);
      if (!fault) return;
      fs.writeFileSync(`${file}.fired`, JSON.stringify({ pid: process.pid, ...fault }));
      if (fault.action === 'crash') process.exit(70);
      process.kill(process.pid, 'SIGSTOP');
    },
  };
}
