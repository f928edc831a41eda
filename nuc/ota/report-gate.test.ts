import { describe, expect, it } from 'vitest';
import { OtaDb } from './ota-db.ts';
import { AgentReportGate } from './report-gate.ts';
import { recordAgentReport } from './rollout-recorder.ts';

const report = (state: string, release: string) => ({ state, release, progress: 1 });

describe('AgentReportGate', () => {
  it('refuses a report naming a release this NUC never published, so no rollout row is written for it', () => {
    const db = OtaDb.open(':memory:');
    db.recordRelease({ version: 1, label: 'first', createdAt: new Date(0).toISOString(), manifest: {} });
    const gate = new AgentReportGate(db);
    const admit = (r: ReturnType<typeof report>) => recordAgentReport(db, '1', r, new Date(), () => gate.admit('1', r, 0));
    expect(admit(report('idle', 'first v1')).changed).toBe(true);
    expect(admit(report('idle', 'forged v99'))).toEqual({ changed: false, refused: 'unknown_release' });
    expect(db.history({ car: '1' })).toEqual([]);
    expect(db.car('1')).toMatchObject({ version: 1 });
    expect(gate.refused).toEqual({ unknown_release: 1, rate: 0 });
  });

  it('lets a car write a burst of changes, then a few a second; heartbeats cost nothing', () => {
    const db = OtaDb.open(':memory:');
    const gate = new AgentReportGate(db, { burst: 3, perSecond: 1 });
    let now = 0;
    const states = ['downloading', 'staging', 'starting', 'health-check', 'committing'];
    const results = states.map((state) => recordAgentReport(db, '1', report(state, 'none'), new Date(), () => gate.admit('1', report(state, 'none'), now)));
    expect(results.map((r) => r.refused ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'rate', 'rate']);
    expect(recordAgentReport(db, '1', report('starting', 'none'), new Date(), () => gate.admit('1', report('starting', 'none'), now))).toEqual({ changed: false });
    now = 1000;
    expect(recordAgentReport(db, '1', report('committing', 'none'), new Date(), () => gate.admit('1', report('committing', 'none'), now)).changed).toBe(true);
    expect(gate.refused.rate).toBe(2);
  });
});
