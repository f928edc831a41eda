import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { OtaDb, OtaDbError } from './ota-db.ts';

const at = (minute: number): Date => new Date(Date.UTC(2025, 0, 1, 12, minute));

describe('OtaDb', () => {
  it('records releases newest first and keeps their manifests', () => {
    const db = OtaDb.open(':memory:');
    db.recordRelease({ version: 1, label: 'first', createdAt: at(0).toISOString(), manifest: { version: 1 } });
    db.recordRelease({ version: 2, label: 'rollback', createdAt: at(1).toISOString(), rollbackOf: 1, manifest: { version: 2 } });
    expect(db.releases().map((r) => [r.version, r.label, r.rollbackOf])).toEqual([
      [2, 'rollback', 1],
      [1, 'first', null],
    ]);
    expect(db.release(1)?.manifest).toEqual({ version: 1 });
    db.recordRelease({ version: 1, label: 'first', createdAt: at(0).toISOString(), manifest: { version: 1 } });
    expect(() => db.recordRelease({ version: 1, label: 'other', createdAt: at(2).toISOString(), manifest: { version: 9 } })).toThrow(/already recorded/);
  });

  it('tracks what each car runs through installs, failures and rollbacks', () => {
    const db = OtaDb.open(':memory:');
    db.reportCar('7', { state: 'downloading', targetVersion: 1 }, at(0));
    expect(db.car('7')).toMatchObject({ version: null, targetVersion: 1, state: 'downloading' });
    db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'installed' }, at(1));
    db.recordOutcome({ car: '7', from: 1, to: 2, outcome: 'installed' }, at(2));
    db.recordOutcome({ car: '7', from: 2, to: 3, outcome: 'failed', error: 'health check timed out' }, at(3));
    expect(db.car('7')).toMatchObject({ version: 2, targetVersion: null, state: 'failed', error: 'health check timed out' });
    expect(db.history({ car: '7' }).map((e) => [e.from, e.to, e.outcome])).toEqual([
      [2, 3, 'failed'],
      [1, 2, 'installed'],
      [null, 1, 'installed'],
    ]);
    expect(db.previousVersion('7')).toBe(1);
    expect(db.previousVersion('unknown')).toBeUndefined();
  });

  it('marks a release withdrawn once cars rolled back from it, and not once a car runs it', () => {
    const db = OtaDb.open(':memory:');
    for (const version of [1, 2]) db.recordRelease({ version, label: `v${version}`, createdAt: at(version).toISOString(), manifest: { version } });
    db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'installed' }, at(3));
    db.recordOutcome({ car: '7', from: 1, to: 2, outcome: 'rolled-back', error: 'pilot exited with code 1' }, at(4));
    expect(db.releases().map((r) => [r.version, r.withdrawn])).toEqual([
      [2, 'rolled back on car 7: pilot exited with code 1'],
      [1, null],
    ]);
    db.recordOutcome({ car: '8', from: 1, to: 2, outcome: 'installed' }, at(5));
    expect(db.release(2)?.withdrawn).toBeNull();
    expect(db.outcomes(2).map((e) => [e.car, e.outcome])).toEqual([
      ['7', 'rolled-back'],
      ['8', 'installed'],
    ]);
  });

  it('adds the withdrawn column to a database made before it existed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-db-old-'));
    try {
      const file = path.join(dir, 'nuc.sqlite');
      const old = new Database(file);
      old.exec('CREATE TABLE releases (version INTEGER PRIMARY KEY, label TEXT NOT NULL, created_at TEXT NOT NULL, rollback_of INTEGER, manifest TEXT NOT NULL)');
      old.prepare('INSERT INTO releases (version, label, created_at, manifest) VALUES (1, ?, ?, ?)').run('before', at(0).toISOString(), '{}');
      old.close();
      const db = OtaDb.open(file);
      expect(db.release(1)).toMatchObject({ label: 'before', override: null, withdrawn: null });
      db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'failed', error: 'no space left' });
      expect(db.release(1)?.withdrawn).toBe('failed on car 7: no space left');
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed reports with a clear error', () => {
    const db = OtaDb.open(':memory:');
    expect(() => db.reportCar('car 7; DROP', { state: 'running' })).toThrow(OtaDbError);
    expect(() => db.reportCar('7', { state: 'running', version: 1.5 })).toThrow(/version must be a positive integer/);
    expect(() => db.recordOutcome({ car: '7', from: 1, to: 2, outcome: 'exploded' as never })).toThrow(/unknown outcome/);
  });

  it('persists to disk in WAL mode', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-db-'));
    try {
      const file = path.join(dir, 'nuc.sqlite');
      const db = OtaDb.open(file);
      db.recordOutcome({ car: '1', from: null, to: 1, outcome: 'installed' });
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
      db.close();
      const reopened = OtaDb.open(file);
      expect(reopened.cars().map((c) => [c.car, c.version])).toEqual([['1', 1]]);
      reopened.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('OtaDb shared by the NUC server and the deploy CLI', () => {
  it('two connections to one file (WAL) both write and each sees the other\'s rows', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ota-db-shared-'));
    try {
      const file = path.join(dir, 'nuc.sqlite');
      const server = OtaDb.open(file);
      const cli = OtaDb.open(file);
      server.reportCar('7', { state: 'idle', version: 1 });
      cli.recordRelease({ version: 2, label: 'from the CLI', createdAt: at(0).toISOString(), manifest: {} });
      server.recordOutcome({ car: '7', from: 1, to: 2, outcome: 'installed' });
      expect(server.releases().map((r) => r.label)).toEqual(['from the CLI']);
      expect(cli.car('7')?.version).toBe(2);
      cli.close();
      server.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
