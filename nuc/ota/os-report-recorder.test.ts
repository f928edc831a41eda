import { describe, expect, it } from 'vitest';
import { fleetSummary } from './fleet.ts';
import { OtaDb } from './ota-db.ts';
import { recordOsReport, releaseOfOs, type OsReportFields } from './os-report-recorder.ts';
import { releaseBaseFor } from './release-base-for.ts';
import { recordAgentReport } from './rollout-recorder.ts';

const file = (sha: string) => ({ path: 'service.js', target: `services/x/${sha}`, sha256: sha.repeat(64).slice(0, 64), length: 1 });
function publish(db: OtaDb, version: number, os?: string): void {
  const manifest = {
    schema: 1,
    version,
    label: `r${version}`,
    createdAt: new Date(0).toISOString(),
    services: { pilot: { files: [file(String(version))] } },
    ...(os ? { os: { version: os, compatible: 'edge-car-qemu-x86_64', bundle: { ...file('f'), path: 'os.raucb' } } } : {}),
  };
  db.recordRelease({ version, label: manifest.label, createdAt: manifest.createdAt, manifest });
}

const slots = (booted: 'A' | 'B', a: string, b: string): OsReportFields['osSlots'] => ({
  booted,
  A: { state: booted === 'A' ? 'good' : 'inactive', version: a },
  B: { state: booted === 'B' ? 'good' : 'bad', version: b },
});

/** An agent report with an OS update, each fed twice (the heartbeat repeats it), through both recorders as the server does. */
function feed(db: OtaDb, reports: OsReportFields[], car = '7'): void {
  for (const report of reports) {
    for (let i = 0; i < 2; i++) {
      recordAgentReport(db, car, report);
      recordOsReport(db, car, report);
    }
  }
}

describe('recordOsReport', () => {
  it("keeps the car's OS, slots and last OS update, writing only changes", () => {
    const db = OtaDb.open(':memory:');
    const report: OsReportFields = { release: 'none', state: 'idle', progress: 0, os: '0.1.0-aaaa', osSlots: slots('A', '0.1.0-aaaa', '0.0.9-bbbb') };
    expect(recordOsReport(db, '7', report)).toEqual({ changed: true });
    expect(recordOsReport(db, '7', report)).toEqual({ changed: false });
    expect(db.carOs('7')).toMatchObject({ os: '0.1.0-aaaa', osSlots: { booted: 'A', A: { state: 'good', version: '0.1.0-aaaa' } }, osUpdate: null });
    const pending = { ...report, osUpdate: { version: '0.2.0-cccc', outcome: 'pending-reboot' as const, at: 1_000 } };
    expect(recordOsReport(db, '7', pending).changed).toBe(true);
    expect(db.carOs('7')?.osUpdate).toEqual({ version: '0.2.0-cccc', outcome: 'pending-reboot', at: 1_000 });
    // a car that reports no OS (not the project's image) writes nothing
    expect(recordOsReport(db, '8', { release: 'none', state: 'idle', progress: 0 })).toEqual({ changed: false });
    expect(db.carOs('8')).toBeUndefined();
  });

  it('keeps the bytes the car downloaded for an OS update, and a new count is a change; the fleet summary shows it from the database', () => {
    const db = OtaDb.open(':memory:');
    const base: OsReportFields = { release: 'none', state: 'idle', progress: 0, os: '0.1.0-aaaa' };
    const update = (downloadedBytes?: number) => ({ version: '0.2.0-cccc', outcome: 'pending-reboot' as const, at: 1_000, ...(downloadedBytes === undefined ? {} : { downloadedBytes }) });
    expect(recordOsReport(db, '7', { ...base, osUpdate: update() }).changed).toBe(true);
    expect(db.carOs('7')?.osUpdate).not.toHaveProperty('downloadedBytes');
    expect(recordOsReport(db, '7', { ...base, osUpdate: update(52_428_800) }).changed).toBe(true);
    expect(recordOsReport(db, '7', { ...base, osUpdate: update(52_428_800) })).toEqual({ changed: false });
    expect(db.carOs('7')?.osUpdate).toEqual({ version: '0.2.0-cccc', outcome: 'pending-reboot', at: 1_000, downloadedBytes: 52_428_800 });
    // only the named fields are kept
    recordOsReport(db, '7', { ...base, osUpdate: { ...update(1), extra: 'x' } as OsReportFields['osUpdate'] });
    expect(db.carOs('7')?.osUpdate).toEqual(update(1));
    // a car not heard now: the fleet shows the recorded report
    recordAgentReport(db, '7', base);
    expect(fleetSummary(db, [])[0]).toMatchObject({ car: '7', osUpdate: update(1) });
  });

  it('asks the gate only for a change, and a refused change is written with a later report', () => {
    const db = OtaDb.open(':memory:');
    const report: OsReportFields = { release: 'none', state: 'idle', progress: 0, os: '0.1.0-aaaa' };
    let asked = 0;
    expect(recordOsReport(db, '7', report, new Date(), () => (asked++, 'rate'))).toEqual({ changed: false, refused: 'rate' });
    expect(db.carOs('7')).toBeUndefined();
    expect(recordOsReport(db, '7', report, new Date(), () => (asked++, undefined)).changed).toBe(true);
    recordOsReport(db, '7', report, new Date(), () => (asked++, undefined));
    expect(asked).toBe(2);
  });

  it('records an OS rollback as a rollback of the release that carried that OS, once, and the release is withdrawn', () => {
    const db = OtaDb.open(':memory:');
    publish(db, 1);
    publish(db, 2, '0.2.0-cccc');
    const base = { progress: 0, os: '0.1.0-aaaa', osSlots: slots('A', '0.1.0-aaaa', '0.0.9-bbbb') };
    feed(db, [
      { ...base, release: 'r1 v1', state: 'idle' },
      { ...base, release: 'r2 v2', state: 'os-installing', osUpdate: { version: '0.2.0-cccc', outcome: 'installing', at: 1_000 } },
      { ...base, release: 'r2 v2', state: 'os-pending-reboot', osUpdate: { version: '0.2.0-cccc', outcome: 'pending-reboot', at: 2_000 } },
      { ...base, release: 'r2 v2', state: 'os-trial', osUpdate: { version: '0.2.0-cccc', outcome: 'rebooting', at: 3_000 } },
      // back on slot A: the agent finds its trial marker on the wrong slot
      {
        ...base,
        osSlots: { booted: 'A', A: { state: 'good', version: '0.1.0-aaaa' }, B: { state: 'bad', version: '0.2.0-cccc' } },
        release: 'r1 v1',
        state: 'idle',
        osUpdate: { version: '0.2.0-cccc', outcome: 'rolled-back', reason: 'booted slot A, the trial was on B: kernel panic', at: 4_000 },
      },
    ]);
    const history = db.history({ car: '7' });
    expect(history.map((e) => [e.from, e.to, e.outcome, e.error])).toEqual([[1, 2, 'rolled-back', 'OS 0.2.0-cccc: booted slot A, the trial was on B: kernel panic']]);
    expect(db.car('7')).toMatchObject({ version: 1, targetVersion: null });
    expect(db.release(2)?.withdrawn).toBe('rolled back on car 7: OS 0.2.0-cccc: booted slot A, the trial was on B: kernel panic');
    // the next release builds on the healthy one, not on the release whose OS failed
    expect(releaseBaseFor(db, 2)).toMatchObject({ version: 1, skipped: [{ version: 2 }] });
    // later heartbeats, and a NUC restart (the previous report comes from the database), add nothing
    feed(db, [{ ...base, release: 'r1 v1', state: 'idle', osUpdate: { version: '0.2.0-cccc', outcome: 'rolled-back', reason: 'booted slot A, the trial was on B: kernel panic', at: 4_000 } }]);
    expect(db.history({ car: '7' })).toHaveLength(1);
    const [car] = fleetSummary(db, []);
    expect(car).toMatchObject({ os: '0.1.0-aaaa', osUpdate: { outcome: 'rolled-back', version: '0.2.0-cccc' }, osSlots: { B: { state: 'bad' } } });
  });

  it('records a failed OS install (RAUC refused the bundle) as a failure of its release', () => {
    const db = OtaDb.open(':memory:');
    publish(db, 1);
    publish(db, 2, '0.2.0-cccc');
    feed(db, [
      { release: 'r1 v1', state: 'idle', progress: 0, os: '0.1.0-aaaa' },
      { release: 'r1 v1', state: 'idle', progress: 0, os: '0.1.0-aaaa', osUpdate: { version: '0.2.0-cccc', outcome: 'failed', reason: 'rauc: signature verification failed', at: 5 } },
    ]);
    expect(db.history({ car: '7' }).map((e) => [e.from, e.to, e.outcome, e.error])).toEqual([[1, 2, 'failed', 'OS 0.2.0-cccc: rauc: signature verification failed']]);
    expect(db.release(2)?.withdrawn).toBe('failed on car 7: OS 0.2.0-cccc: rauc: signature verification failed');
  });

  it("fails no release for a car that is not on the project's image (no OS version): it skips the OS and says why", () => {
    const db = OtaDb.open(':memory:');
    publish(db, 1);
    publish(db, 2, '0.2.0-cccc');
    feed(db, [
      { release: 'r1 v1', state: 'idle', progress: 0 },
      { release: 'r2 v2', state: 'idle', progress: 0, osUpdate: { version: '0.2.0-cccc', outcome: 'failed', reason: "not on the project's OS image", at: 5 } },
    ]);
    expect(db.history({ car: '7' }).filter((e) => e.outcome !== 'installed')).toEqual([]);
    expect(db.release(2)?.withdrawn ?? null).toBeNull();
    expect(db.carOs('7')?.osUpdate?.reason).toMatch(/not on the project/);
  });

  it('keeps one history row when the agent also reported the same attempt as a service rollback', () => {
    const db = OtaDb.open(':memory:');
    publish(db, 1);
    publish(db, 2, '0.2.0-cccc');
    feed(db, [
      { release: 'r1 v1', state: 'idle', progress: 0 },
      { release: 'r2 v2', state: 'downloading', progress: 0, osUpdate: { version: '0.2.0-cccc', outcome: 'downloading', at: 1 } },
      { release: 'r2 v2', state: 'rolling-back', progress: 0, error: 'OS rolled back', osUpdate: { version: '0.2.0-cccc', outcome: 'rolled-back', at: 2 } },
    ]);
    expect(db.history({ car: '7' }).map((e) => [e.to, e.outcome, e.error])).toEqual([[2, 'rolled-back', 'OS rolled back']]);
  });

  it('leaves the history alone when no recorded release carries that OS, and for outcomes that are not failures', () => {
    const db = OtaDb.open(':memory:');
    publish(db, 1);
    feed(db, [
      { release: 'r1 v1', state: 'idle', progress: 0, osUpdate: { version: '0.2.0-cccc', outcome: 'good', at: 1 } },
      { release: 'r1 v1', state: 'idle', progress: 0, osUpdate: { version: '9.9.9', outcome: 'rolled-back', at: 2 } },
    ]);
    expect(db.history({ car: '7' })).toEqual([]);
    expect(db.carOs('7')?.osUpdate?.outcome).toBe('rolled-back');
  });

  it('finds the release by the candidate the report names, the recorded target, else the newest carrying the OS', () => {
    const db = OtaDb.open(':memory:');
    publish(db, 1, '0.2.0');
    publish(db, 2, '0.2.0');
    publish(db, 3);
    expect(releaseOfOs(db, '7', { release: 'r1 v1', state: 'installing', progress: 0 }, '0.2.0')).toBe(1);
    expect(releaseOfOs(db, '7', { release: 'r3 v3', state: 'idle', progress: 0 }, '0.2.0')).toBe(2);
    db.reportCar('7', { state: 'downloading', version: 3, targetVersion: 1 });
    expect(releaseOfOs(db, '7', { release: 'r3 v3', state: 'idle', progress: 0 }, '0.2.0')).toBe(1);
    expect(releaseOfOs(db, '7', { release: 'r3 v3', state: 'idle', progress: 0 }, '0.3.0')).toBeUndefined();
  });
});
