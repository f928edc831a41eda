/**
 * A car's OS as `deploy status` prints it: the version it runs, the root slot it booted and RAUC's
 * state of both slots, and how its last OS update went (and how much the car downloaded for it, when
 * its agent says). The fields are the agent's report (AgentHeader `os`, `osSlots`, `osUpdate`),
 * under the names the NUC keeps per car (/api/fleet's car entries); null or absent when the car does
 * not run the project's image or has not reported.
 */
import type { HeaderOf } from '../protocol/index.ts';

type AgentReport = HeaderOf<'agent'>;

export interface CarOsState {
  os?: AgentReport['os'] | null;
  osSlots?: AgentReport['osSlots'] | null;
  osUpdate?: AgentReport['osUpdate'] | null;
}

const KB = 1024;
const UNITS = ['kB', 'MB', 'GB', 'TB'] as const;

/** 1234567 → "1.2 MB": a byte count as `deploy status` prints sizes (1024-based, one decimal), up to TB. */
export function byteSize(bytes: number): string {
  if (bytes < KB) return `${bytes} B`;
  let value = bytes / KB;
  let unit = 0;
  // 1048575 bytes reads as 1.0 MB, not 1024.0 kB
  while (unit < UNITS.length - 1 && Number(value.toFixed(1)) >= KB) {
    value /= KB;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
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
    const { version, outcome, reason, at, downloadedBytes } = car.osUpdate;
    const downloaded = downloadedBytes === undefined ? '' : `, downloaded ${byteSize(downloadedBytes)}`;
    parts.push(`last OS update ${version}: ${outcome}${reason ? ` (${reason})` : ''} at ${new Date(at).toISOString()}${downloaded}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}
