import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OtaDb } from './ota-db.ts';
import { recordAgentReport, reportedVersion, type AgentReportFields } from './rollout-recorder.ts';

const report = (state: string, release: string, extra: Partial<AgentReportFields> = {}): AgentReportFields => ({ release, state, progress: 0, ...extra });

/** Feeds reports, each twice (the agent's heartbeat repeats the current one), and returns the history oldest first. */
function run(db: OtaDb, reports: AgentReportFields[], car = '7'): [number | null, number, string, string | null][] {
  for (const r of reports) {
    recordAgentReport(db, car, r);
    recordAgentReport(db, car, r);
  }
  return db
    .history({ car })
    .reverse()
    .map((e) => [e.from, e.to, e.outcome, e.error]);
}

describe('recordAgentReport', () => {
  it('reads the version from the release text or the version field', () => {
    expect(reportedVersion(report('idle', 'pilot fix v12'))).toBe(12);
    expect(reportedVersion(report('idle', 'none'))).toBeUndefined();
    expect(reportedVersion(report('idle', 'anything', { version: 3 }))).toBe(3);
    // mid-update `version` is the installed release; the release text names the candidate
    expect(reportedVersion(report('downloading', 'next v4', { version: 3 }))).toBe(4);
    expect(reportedVersion(report('idle', 'v0'))).toBeUndefined();
  });

  it('records a first install and an update once each, however many heartbeats repeat them', () => {
    const db = OtaDb.open(':memory:');
    const history = run(db, [
      report('idle', 'none', { progress: 1 }),
      report('downloading', 'first v1', { progress: 0.5 }),
      report('idle', 'first v1', { progress: 1 }),
      report('downloading', 'second v2'),
      report('health-check', 'second v2'),
      report('committing', 'second v2'),
      report('idle', 'second v2', { progress: 1 }),
    ]);
    expect(history).toEqual([
      [null, 1, 'installed', null],
      [1, 2, 'installed', null],
    ]);
    expect(db.car('7')).toMatchObject({ version: 2, targetVersion: null, state: 'idle', error: null });
    expect(db.previousVersion('7')).toBe(1);
  });

  it('shows the target while updating and records a rollback with its error once, even when it ends failed', () => {
    const db = OtaDb.open(':memory:');
    run(db, [report('idle', 'base v1'), report('staging', 'bad v2')]);
    expect(db.car('7')).toMatchObject({ version: 1, targetVersion: 2, state: 'staging' });
    const history = run(db, [
      report('rolling-back', 'bad v2', { error: 'no healthy signal within 5000 ms' }),
      report('failed', 'base v1', { error: 'no healthy signal within 5000 ms' }),
    ]);
    expect(history).toEqual([[1, 2, 'rolled-back', 'no healthy signal within 5000 ms']]);
    expect(db.car('7')).toMatchObject({ version: 1, targetVersion: null, state: 'failed', error: 'no healthy signal within 5000 ms' });
  });

  it('records a failure straight from an update phase (no rollback needed), keeping the running version', () => {
    const db = OtaDb.open(':memory:');
    const history = run(db, [report('idle', 'base v1'), report('checking-space', 'big v2'), report('failed', 'base v1', { error: 'needs 9 MB, 2 MB free' })]);
    expect(history).toEqual([[1, 2, 'failed', 'needs 9 MB, 2 MB free']]);
    expect(db.car('7')?.version).toBe(1);
    // a newer release afterwards installs normally
    expect(run(db, [report('downloading', 'smaller v3'), report('idle', 'smaller v3')]).at(-1)).toEqual([1, 3, 'installed', null]);
  });

  it('continues from the database after a NUC restart mid-update', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recorder-'));
    try {
      const file = path.join(dir, 'nuc.sqlite');
      const before = OtaDb.open(file);
      run(before, [report('idle', 'base v1'), report('downloading', 'next v2')]);
      before.close();
      const after = OtaDb.open(file);
      expect(run(after, [report('idle', 'next v2')])).toEqual([[1, 2, 'installed', null]]);
      after.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a heartbeat as unchanged and an update step as changed', () => {
    const db = OtaDb.open(':memory:');
    expect(recordAgentReport(db, '7', report('idle', 'base v1')).changed).toBe(true);
    expect(recordAgentReport(db, '7', report('idle', 'base v1', { progress: 1 })).changed).toBe(false);
    const step = recordAgentReport(db, '7', report('downloading', 'next v2'));
    expect(step).toEqual({ changed: true });
    expect(recordAgentReport(db, '7', report('idle', 'next v2')).outcome).toMatchObject({ from: 1, to: 2, outcome: 'installed' });
  });
});
