import { describe, expect, it } from 'vitest';
import type { OsRelease } from '../../protocol/index.ts';
import { planOs, recordOutcome, servicesMayApply, type OsInput, type OsPlanConfig, type OsRecord, type TrialMarker } from './os-plan.ts';
import type { RaucStatus } from './rauc.ts';

const CONFIG: OsPlanConfig = { reboot: 'at-rest', restS: 10, healthS: 300 };
const OS2: OsRelease = {
  version: '0.2.0-bbbb',
  compatible: 'edge-car-qemu-x86_64',
  bundle: { path: 'os.raucb', target: 'os/car-0.2.0-bbbb-qemu-x86_64.raucb', sha256: 'a'.repeat(64), length: 10 },
};

function rauc(partial: Partial<RaucStatus> = {}): RaucStatus {
  return {
    compatible: 'edge-car-qemu-x86_64',
    booted: 'A',
    slots: { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'inactive' } },
    ...partial,
  };
}

function input(partial: Partial<OsInput> = {}): OsInput {
  return {
    now: 1_000_000,
    running: '0.1.0-aaaa',
    rauc: rauc(),
    marker: undefined,
    record: { failed: [] },
    target: OS2,
    bundlePresent: false,
    restForMs: 0,
    operatorAllows: false,
    health: { ok: true },
    bootStartedAt: 990_000,
    ...partial,
  };
}

const MARKER: TrialMarker = { version: OS2.version, slot: 'B', startedAt: 900_000 };
const installedB = rauc({ primary: 'B', slots: { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'good', version: OS2.version } } });
const bootedB = rauc({ booted: 'B', slots: { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'bad', version: OS2.version } } });
const fellBack = rauc({ booted: 'A', slots: { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'bad', version: OS2.version } } });

describe('planOs', () => {
  it('does nothing without an OS in the release or when it already runs', () => {
    expect(planOs(input({ target: undefined }), CONFIG)).toEqual({ kind: 'none' });
    expect(planOs(input({ running: OS2.version }), CONFIG)).toEqual({ kind: 'none' });
  });

  it('never installs on a car that is not on the project image, and says why', () => {
    const step = planOs(input({ running: undefined }), CONFIG);
    expect(step).toMatchObject({ kind: 'skip', version: OS2.version });
    expect(step.kind === 'skip' && step.reason).toMatch(/not on the project's OS image/);
  });

  it('downloads, then installs into the other slot', () => {
    expect(planOs(input(), CONFIG)).toEqual({ kind: 'download', os: OS2 });
    expect(planOs(input({ bundlePresent: true }), CONFIG)).toEqual({ kind: 'install', os: OS2, slot: 'B' });
    expect(planOs(input({ bundlePresent: true, rauc: rauc({ booted: 'B', slots: { A: { name: 'rootfs.0', state: 'good' }, B: { name: 'rootfs.1', state: 'good' } } }) }), CONFIG)).toMatchObject({ kind: 'install', slot: 'A' });
  });

  it('refuses an OS for another kind of car, and never reinstalls a version that failed', () => {
    expect(planOs(input({ target: { ...OS2, compatible: 'edge-car-rpi4' } }), CONFIG)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/is for edge-car-rpi4/) });
    const record = recordOutcome({ failed: [] }, OS2.version, 'rolled-back', 5, 'fell back');
    expect(planOs(input({ record, bundlePresent: true }), CONFIG)).toMatchObject({ kind: 'hold', reason: expect.stringMatching(/rolled-back before \(fell back\): not installed again/) });
  });

  it('holds while RAUC cannot be asked', () => {
    expect(planOs(input({ rauc: { error: 'rauc: not found' } }), CONFIG)).toMatchObject({ kind: 'hold', reason: 'RAUC unavailable: rauc: not found' });
    expect(planOs(input({ rauc: { error: 'x' }, target: undefined }), CONFIG)).toEqual({ kind: 'none' });
  });

  it('reboots at rest only after restS without driver input', () => {
    const pending = input({ marker: MARKER, rauc: installedB, restForMs: 9_000 });
    expect(planOs(pending, CONFIG)).toMatchObject({ kind: 'wait', outcome: 'pending-reboot', until: 1_001_000 });
    expect(planOs({ ...pending, restForMs: 10_000 }, CONFIG)).toMatchObject({ kind: 'reboot', version: OS2.version });
  });

  it('with the operator policy, reboots only once the hint lists the car', () => {
    const pending = input({ marker: MARKER, rauc: installedB, restForMs: 60_000 });
    const operator = { ...CONFIG, reboot: 'operator' as const };
    expect(planOs(pending, operator)).toMatchObject({ kind: 'wait', outcome: 'pending-reboot' });
    expect(planOs({ ...pending, operatorAllows: true }, operator)).toMatchObject({ kind: 'reboot' });
  });

  it('discards an installed bundle that a newer OS supersedes before the reboot', () => {
    expect(planOs(input({ marker: MARKER, rauc: installedB, target: { ...OS2, version: '0.3.0' } }), CONFIG)).toMatchObject({ kind: 'discard', version: OS2.version });
  });

  it('on trial: marks good on a healthy signal, waits until the deadline, then marks bad', () => {
    const trial = input({ marker: MARKER, rauc: bootedB, running: OS2.version, health: { ok: false, reason: 'camera not ready' } });
    expect(planOs(trial, CONFIG)).toMatchObject({ kind: 'wait', outcome: 'trial', until: 990_000 + 300_000 });
    expect(planOs({ ...trial, health: { ok: true } }, CONFIG)).toEqual({ kind: 'mark-good', version: OS2.version, trial: true });
    expect(planOs({ ...trial, now: 1_290_000 }, CONFIG)).toMatchObject({ kind: 'mark-bad-and-reboot', reason: 'not healthy within 300 s: camera not ready' });
  });

  it('keeps the trial deadline across an agent restart', () => {
    const restarted = input({ marker: { ...MARKER, trialSince: 700_000 }, rauc: bootedB, running: OS2.version, health: { ok: false, reason: 'x' } });
    expect(planOs(restarted, CONFIG)).toMatchObject({ kind: 'mark-bad-and-reboot' });
  });

  it('marks bad a booted slot that runs another OS than the marker says', () => {
    expect(planOs(input({ marker: MARKER, rauc: bootedB, running: '0.9' }), CONFIG)).toMatchObject({ kind: 'mark-bad-and-reboot' });
  });

  it('reports a fallback to the old slot as rolled back', () => {
    expect(planOs(input({ marker: { ...MARKER, rebootAt: 950_000 }, rauc: fellBack }), CONFIG)).toMatchObject({
      kind: 'report-rolled-back',
      slot: 'A',
      reason: expect.stringMatching(/bootloader fell back/),
    });
    expect(planOs(input({ marker: { ...MARKER, failed: 'not healthy within 300 s: x' }, rauc: fellBack }), CONFIG)).toMatchObject({ reason: 'not healthy within 300 s: x' });
  });

  it('commits the booted slot again on a healthy regular boot (one try per boot)', () => {
    const tried = rauc({ slots: { A: { name: 'rootfs.0', state: 'bad' }, B: { name: 'rootfs.1', state: 'inactive' } } });
    expect(planOs(input({ rauc: tried, target: undefined }), CONFIG)).toEqual({ kind: 'mark-good', version: '0.1.0-aaaa', trial: false });
    expect(planOs(input({ rauc: tried, target: undefined, health: { ok: false, reason: 'x' } }), CONFIG)).toEqual({ kind: 'none' });
  });
});

describe('servicesMayApply', () => {
  it('holds a release whose OS does not run yet, and everything while an OS update is under way', () => {
    expect(servicesMayApply({ os: OS2 }, '0.1.0-aaaa', undefined)).toBe(false);
    expect(servicesMayApply({ os: OS2 }, OS2.version, undefined)).toBe(true);
    expect(servicesMayApply({}, '0.1.0-aaaa', undefined)).toBe(true);
    expect(servicesMayApply({}, '0.1.0-aaaa', MARKER)).toBe(false);
    expect(servicesMayApply({ os: OS2 }, undefined, undefined)).toBe(true);
  });
});

describe('recordOutcome', () => {
  it('remembers failed versions (bounded) and bounds the reason', () => {
    let record: OsRecord = { failed: [] };
    for (let i = 0; i < 20; i++) record = recordOutcome(record, `v${i}`, 'failed', i, 'x'.repeat(900));
    expect(record.failed).toHaveLength(16);
    expect(record.update?.reason).toHaveLength(500);
    expect(recordOutcome(record, 'v99', 'good', 1).failed).toHaveLength(16);
  });

  it("keeps what was downloaded for a version through its later outcomes, not into another version's", () => {
    const installing = recordOutcome({ failed: [] }, 'v2', 'installing', 1, undefined, 500_000);
    const pending = recordOutcome(installing, 'v2', 'pending-reboot', 2, undefined, 612_000);
    const good = recordOutcome(recordOutcome(pending, 'v2', 'rebooting', 3, 'at rest'), 'v2', 'good', 4);
    expect(good.update).toEqual({ version: 'v2', outcome: 'good', at: 4, downloadedBytes: 612_000 });
    expect(recordOutcome(good, 'v3', 'downloading', 5).update).toEqual({ version: 'v3', outcome: 'downloading', at: 5 });
  });
});
