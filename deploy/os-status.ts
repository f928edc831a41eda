/**
 * A car's OS as `deploy status` prints it: the version it runs, the root slot it booted and RAUC's
 * state of both slots, and how its last OS update went. The fields are the agent's report
 * (AgentHeader `os`, `osSlots`, `osUpdate`), under the names the NUC keeps per car (/api/fleet's car
 * entries); null or absent when the car does not run the project's image or has not reported.
 */
import type { HeaderOf } from '../protocol/index.ts';

type AgentReport = HeaderOf<'agent'>;

export interface CarOsState {
  os?: AgentReport['os'] | null;
  osSlots?: AgentReport['osSlots'] | null;
  osUpdate?: AgentReport['osUpdate'] | null;
}

/** `A good 0.1.0-x`: a slot's state and what is installed in it. */
function slotText(name: 'A' | 'B', slot: { state: string; version?: string | undefined }, booted: boolean): string {
  return `${name}${booted ? ' (booted)' : ''} ${slot.state}${slot.version ? ` ${slot.version}` : ''}`;
}

/** The OS line of one car, or undefined when it reported nothing about its OS. */
export function osStatusLine(car: CarOsState): string | undefined {
  const parts: string[] = [];
  if (car.os) parts.push(`OS ${car.os}`);
  if (car.osSlots) {
    const { booted, A, B } = car.osSlots;
    parts.push(`slots ${slotText('A', A, booted === 'A')}, ${slotText('B', B, booted === 'B')}`);
  }
  if (car.osUpdate) {
    const { version, outcome, reason, at } = car.osUpdate;
    parts.push(`last OS update ${version}: ${outcome}${reason ? ` (${reason})` : ''} at ${new Date(at).toISOString()}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}
