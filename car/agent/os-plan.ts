/**
 * The OS update planner: what to do about the car's OS next is a pure function of the trial marker,
 * the journaled record of the last OS update, RAUC's slot status and the latest observations. It
 * returns one step; os-update.ts performs it. Rules the table keeps:
 * - a car not on the project's image (no running OS version) never installs an OS;
 * - an OS version the car rolled back from (or that failed) is never installed again;
 * - the install runs while the car drives; the reboot waits for a safe moment (at rest with no
 *   driver input for osRestS, or the operator's go);
 * - after the reboot the new OS is on trial: only a positive health signal within osHealthS marks
 *   it good; a timeout or a failure marks it bad and reboots, and the bootloader falls back;
 * - a release's services and model wait until its OS is good (never interleaved).
 */
import type { OsRelease, OsUpdateOutcome } from '../../protocol/index.ts';
import type { RaucStatus } from './rauc.ts';
import { otherSlot, type Slot } from './state.ts';

/** The trial marker `trial.json`: written once a bundle is installed, removed once the outcome is known. */
export interface TrialMarker {
  version: string;
  /** the slot the bundle went into */
  slot: Slot;
  /** when the install finished, ms */
  startedAt: number;
  /** seconds the new OS has to be healthy */
  deadlineS?: number;
  /** when the agent asked for the reboot into it, ms */
  rebootAt?: number;
  /** when the trial began on the new slot, ms (an agent restart during the trial does not extend it) */
  trialSince?: number;
  /** set when the trial failed and the agent marked the slot bad (the reason, for the report after the fallback) */
  failed?: string;
}

/** one home: the agent's report (protocol's AgentHeader.osUpdate.outcome) */
export type OsOutcome = OsUpdateOutcome;

export interface OsUpdateRecord {
  version: string;
  outcome: OsOutcome;
  reason?: string;
  at: number;
  /** bytes downloaded for this update: the bundle, plus the chunks the running slot lacked */
  downloadedBytes?: number;
}

/** What the agent keeps on the data partition about OS updates. */
export interface OsRecord {
  update?: OsUpdateRecord;
  /** versions that failed or that the car rolled back from: never installed again */
  failed: string[];
}

export type OsHealth = { ok: true } | { ok: false; reason: string };

export interface OsPlanConfig {
  reboot: 'at-rest' | 'operator';
  restS: number;
  healthS: number;
}

export interface OsInput {
  now: number;
  /** the running OS's version (/etc/edge-os-release); undefined: not on the project's image */
  running: string | undefined;
  /** RAUC's view, or why it could not be read */
  rauc: RaucStatus | { error: string };
  marker: TrialMarker | undefined;
  record: OsRecord;
  /** the OS the newest verified release asks for */
  target: OsRelease | undefined;
  /** the target's bundle is downloaded and verified */
  bundlePresent: boolean;
  /** how long the car has stood still with no driver input, ms */
  restForMs: number;
  /** the NUC's release hint lists this car in osReboot */
  operatorAllows: boolean;
  health: OsHealth;
  /** when this boot's agent started (the trial's clock), ms */
  bootStartedAt: number;
}

export type OsStep =
  /** nothing to do about the OS */
  | { kind: 'none' }
  /** the OS is not handled on this car (e.g. not the project's image); said once */
  | { kind: 'skip'; version: string; reason: string }
  /** the target's OS cannot be installed now or ever; the release's services wait */
  | { kind: 'hold'; version: string; reason: string }
  | { kind: 'refuse'; version: string; reason: string }
  | { kind: 'download'; os: OsRelease }
  | { kind: 'install'; os: OsRelease; slot: Slot }
  | { kind: 'wait'; version: string; outcome: 'pending-reboot' | 'trial'; reason: string; until?: number }
  | { kind: 'reboot'; version: string; reason: string }
  /** the booted slot is healthy: mark it good (trial: the OS update succeeded) */
  | { kind: 'mark-good'; version: string; trial: boolean }
  | { kind: 'mark-bad-and-reboot'; version: string; reason: string }
  /** the car came back on the old slot */
  | { kind: 'report-rolled-back'; version: string; slot: Slot; reason: string }
  /** the installed but not yet booted bundle is superseded by another OS version */
  | { kind: 'discard'; version: string; reason: string };

function raucOk(rauc: OsInput['rauc']): rauc is RaucStatus {
  return !('error' in rauc);
}

/** Whether a release's services and model may be applied now: its OS (if any) runs and no OS update is under way. */
export function servicesMayApply(target: { os?: OsRelease } | undefined, running: string | undefined, marker: TrialMarker | undefined): boolean {
  if (running === undefined) return true; // not the project's image: the OS is not ours to update
  if (marker) return false;
  return !target?.os || target.os.version === running;
}

function pendingReboot(input: OsInput, marker: TrialMarker, config: OsPlanConfig): OsStep {
  if (config.reboot === 'operator') {
    if (input.operatorAllows) return { kind: 'reboot', version: marker.version, reason: 'the operator allowed the reboot' };
    return { kind: 'wait', version: marker.version, outcome: 'pending-reboot', reason: 'waiting for the operator to allow the reboot' };
  }
  const needMs = config.restS * 1000;
  if (input.restForMs >= needMs) return { kind: 'reboot', version: marker.version, reason: `at rest with no driver input for ${Math.round(input.restForMs / 100) / 10} s` };
  return { kind: 'wait', version: marker.version, outcome: 'pending-reboot', reason: `waiting for ${config.restS} s at rest with no driver input`, until: input.now + needMs - input.restForMs };
}

function withMarker(input: OsInput, rauc: RaucStatus, marker: TrialMarker, config: OsPlanConfig): OsStep {
  if (rauc.booted === marker.slot) {
    if (marker.failed !== undefined) {
      // marked bad, but the reboot did not happen yet (or the agent restarted first)
      return { kind: 'mark-bad-and-reboot', version: marker.version, reason: marker.failed };
    }
    if (input.running !== undefined && input.running !== marker.version) {
      return { kind: 'mark-bad-and-reboot', version: marker.version, reason: `slot ${marker.slot} runs OS ${input.running}, not the installed ${marker.version}` };
    }
    if (input.health.ok) return { kind: 'mark-good', version: marker.version, trial: true };
    const deadline = (marker.trialSince ?? input.bootStartedAt) + (marker.deadlineS ?? config.healthS) * 1000;
    if (input.now >= deadline) {
      return { kind: 'mark-bad-and-reboot', version: marker.version, reason: `not healthy within ${marker.deadlineS ?? config.healthS} s: ${input.health.reason}` };
    }
    return { kind: 'wait', version: marker.version, outcome: 'trial', reason: `on trial: ${input.health.reason}`, until: deadline };
  }
  const slotState = rauc.slots[marker.slot].state;
  if (slotState === 'bad' || marker.failed !== undefined) {
    const why = marker.failed ?? (marker.rebootAt !== undefined ? 'the new OS did not come up (the bootloader fell back)' : 'the new slot was tried and fell back');
    return { kind: 'report-rolled-back', version: marker.version, slot: rauc.booted, reason: why };
  }
  if (input.target && input.target.version !== marker.version) {
    return { kind: 'discard', version: marker.version, reason: `superseded by OS ${input.target.version}` };
  }
  return pendingReboot(input, marker, config);
}

/** The next OS step. Pure. */
export function planOs(input: OsInput, config: OsPlanConfig): OsStep {
  const { target, running, rauc, marker, record } = input;
  if (running === undefined) {
    if (!target) return { kind: 'none' };
    return { kind: 'skip', version: target.version, reason: 'not on the project\'s OS image (no /etc/edge-os-release): the OS is not updated over the air' };
  }
  if (!raucOk(rauc)) {
    if (marker || (target && target.version !== running)) return { kind: 'hold', version: marker?.version ?? target!.version, reason: `RAUC unavailable: ${rauc.error}` };
    return { kind: 'none' };
  }
  if (marker) return withMarker(input, rauc, marker, config);
  // every boot sets the booted slot's try flag (one try per slot): a healthy car commits it again
  if (rauc.slots[rauc.booted].state !== 'good' && input.health.ok) return { kind: 'mark-good', version: running, trial: false };
  if (!target || target.version === running) return { kind: 'none' };
  if (record.failed.includes(target.version)) {
    const last = record.update?.version === target.version ? record.update : undefined;
    return { kind: 'hold', version: target.version, reason: `OS ${target.version} ${last?.outcome ?? 'failed'} before${last?.reason ? ` (${last.reason})` : ''}: not installed again` };
  }
  if (target.compatible !== rauc.compatible) {
    return { kind: 'refuse', version: target.version, reason: `OS ${target.version} is for ${target.compatible}, this car is ${rauc.compatible}` };
  }
  if (!input.bundlePresent) return { kind: 'download', os: target };
  return { kind: 'install', os: target, slot: otherSlot(rauc.booted) };
}

/** The record with a new outcome for `version` (the failed list grows with failures and fallbacks). */
/** The record after an outcome; what was downloaded for the same version is kept unless given anew. */
export function recordOutcome(record: OsRecord, version: string, outcome: OsOutcome, at: number, reason?: string, downloadedBytes?: number): OsRecord {
  const failed = outcome === 'failed' || outcome === 'rolled-back' ? [...record.failed.filter((v) => v !== version), version].slice(-16) : record.failed;
  const downloaded = downloadedBytes ?? (record.update?.version === version ? record.update.downloadedBytes : undefined);
  return { failed, update: { version, outcome, at, ...(reason !== undefined ? { reason: reason.slice(0, 500) } : {}), ...(downloaded !== undefined ? { downloadedBytes: downloaded } : {}) } };
}
