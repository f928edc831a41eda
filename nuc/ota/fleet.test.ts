import { describe, expect, it } from 'vitest';
import { fleetSummary } from './fleet.ts';
import { OtaDb } from './ota-db.ts';
import { recordAgentReport } from './rollout-recorder.ts';

const file = (sha: string) => ({ path: 'service.js', target: `services/x/${sha}`, sha256: sha.repeat(64).slice(0, 64), length: 1 });
function manifest(version: number, pilot: string, actuator: string, model?: string) {
  return {
    schema: 1,
    version,
    label: `r${version}`,
    createdAt: new Date(0).toISOString(),
    services: { pilot: { files: [file(pilot)] }, actuator: { files: [file(actuator)] } },
    ...(model ? { model: { name: model, files: [file(model)] } } : {}),
  };
}

describe('fleetSummary', () => {
  it('shows per car the release, the release each service and the model came with, the update under way and the history', () => {
    const db = OtaDb.open(':memory:');
    const releases = [manifest(1, 'a', 'b'), manifest(2, 'c', 'b', 'd'), manifest(3, 'a', 'b', 'd')];
    for (const m of releases) db.recordRelease({ version: m.version, label: m.label, createdAt: m.createdAt, manifest: m });
    // first heard on release 1 (no history row: the NUC did not see that install)
    for (const [state, release] of [['idle', 'r1 v1'], ['downloading', 'r2 v2'], ['idle', 'r2 v2'], ['downloading', 'r3 v3'], ['idle', 'r3 v3']]) {
      recordAgentReport(db, '7', { state: state!, release: release!, progress: 1 });
    }
    const now = 10_000;
    const [car, ghost] = fleetSummary(
      db,
      [
        {
          id: '7',
          lastSeen: 9_000,
          agent: { release: 'r4 v4', slot: 'B', state: 'downloading', progress: 0.4, services: { pilot: { slot: 'A' }, actuator: 'B' }, os: '0.1.0-1a2b3c4d' },
          telemetry: { model: 'd v2', inferMs: 3 },
        },
        { id: '9', lastSeen: 10_000 },
      ],
      now,
    );
    expect(car).toMatchObject({
      car: '7',
      version: 3,
      label: 'r3',
      services: [
        { name: 'actuator', version: 1, slot: 'B' },
        { name: 'pilot', version: 1, slot: 'A' },
      ],
      model: { name: 'd', version: 2 },
      pilotModel: 'd v2',
      inferMs: 3,
      os: '0.1.0-1a2b3c4d',
      update: { state: 'downloading', progress: 0.4, release: 'r4 v4', slot: 'B' },
      error: null,
      lastSeenMsAgo: 1000,
      previousVersion: 2,
    });
    expect(car!.history.map((e) => [e.from, e.to, e.outcome])).toEqual([
      [2, 3, 'installed'],
      [1, 2, 'installed'],
    ]);
    expect(ghost).toMatchObject({ car: '9', version: null, services: [], model: null, update: null, history: [] });
  });
});
