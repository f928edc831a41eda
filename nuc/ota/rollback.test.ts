import { describe, expect, it } from 'vitest';
import { OtaDb } from './ota-db.ts';
import { RollbackRefused, rollbackCar, type RollbackPublisher } from './rollback.ts';

function fakePublisher(calls: [number, string, string][]): RollbackPublisher {
  return {
    republish(version, label, car) {
      calls.push([version, label, car]);
      return { version: 10, label, createdAt: new Date(0).toISOString(), rollbackOf: version, manifest: { version: 10 } };
    },
  };
}

describe('rollbackCar', () => {
  it('re-publishes the release the car ran before as a new version for that car and records it', () => {
    const db = OtaDb.open(':memory:');
    db.recordOutcome({ car: '7', from: null, to: 4, outcome: 'installed' });
    db.recordOutcome({ car: '7', from: 4, to: 9, outcome: 'installed' });
    const calls: [number, string, string][] = [];
    const result = rollbackCar(db, '7', fakePublisher(calls));
    expect(calls).toEqual([[4, 'rollback of car 7 to release 4', '7']]);
    expect(result).toMatchObject({ car: '7', from: 9, rollbackOf: 4, release: { version: 10, rollbackOf: 4 } });
    expect(db.releases().map((r) => [r.version, r.rollbackOf])).toEqual([[10, 4]]);
  });

  it('refuses clearly when there is nothing to go back to, without publishing', () => {
    const db = OtaDb.open(':memory:');
    const calls: [number, string, string][] = [];
    expect(() => rollbackCar(db, '7', fakePublisher(calls))).toThrow(RollbackRefused);
    expect(() => rollbackCar(db, '7', fakePublisher(calls))).toThrow(/car 7 has no recorded release/);
    db.recordOutcome({ car: '7', from: null, to: 1, outcome: 'installed' });
    expect(() => rollbackCar(db, '7', fakePublisher(calls))).toThrow(/runs release 1 and no release before it/);
    expect(calls).toEqual([]);
  });
});
