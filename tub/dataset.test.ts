import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitRecords, trainingRecords } from './dataset.ts';
import { saveTrainFilter } from './edit.ts';
import type { TubRecord } from './reader.ts';
import { listTubs } from './summary.ts';
import { tempDir, writeTub } from '../test/support/tubs.ts';

function records(count: number, tub = '/data/tubs/a'): TubRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    tub,
    index,
    sessionId: '24-05-17_0',
    timestampMs: index * 50,
    imagePath: `${tub}/images/${index}_cam_image_array_.jpg`,
    angle: 0,
    throttle: (index % 10) / 10,
    mode: index % 3 === 0 ? 'local' : 'user',
    values: {},
  }));
}

const ids = (list: TubRecord[]) => list.map((record) => `${record.tub}#${record.index}`);

describe('trainingRecords', () => {
  it("keeps the driver's records by default, and what the tub's saved filter keeps once it has one", async () => {
    const dir = path.join(await tempDir(), 'tub');
    await (await writeTub(dir, 40)).close();
    // sampleRecord: every 4th record (3, 7, …) is local_angle; every 5th (0, 5, …) stands still
    const byDefault = await trainingRecords([dir]);
    expect(byDefault.records.map((r) => r.index)).toEqual([...Array(40).keys()].filter((i) => i % 4 !== 3));
    expect(byDefault.filteredOut).toBe(10);
    await saveTrainFilter(dir, "user/throttle > 0.1 && user/mode == 'user'");
    const filtered = await trainingRecords([dir]);
    expect(filtered.records.map((r) => r.index)).toEqual([...Array(40).keys()].filter((i) => i % 4 !== 3 && i % 5 !== 0));
    expect(filtered.records.every((r) => r.throttle > 0.1 && r.mode === 'user')).toBe(true);
  });
});

describe('splitRecords', () => {
  it('gives the same split for the same records and seed, whatever their order', () => {
    const all = [...records(500), ...records(300, '/data/tubs/b')];
    const first = splitRecords(all, { seed: 7 });
    const again = splitRecords([...all].reverse(), { seed: 7 });
    expect(new Set(ids(again.validation))).toEqual(new Set(ids(first.validation)));
    expect(first.train.length + first.validation.length).toBe(800);
    expect(first.validation.length / 800).toBeGreaterThan(0.15);
    expect(first.validation.length / 800).toBeLessThan(0.25);
  });

  it('gives a different split for another seed, and keeps a record on its side when tubs are added', () => {
    const a = records(400);
    const base = splitRecords(a, { seed: 1 });
    expect(ids(splitRecords(a, { seed: 2 }).validation)).not.toEqual(ids(base.validation));
    const grown = splitRecords([...a, ...records(200, '/data/tubs/c')], { seed: 1 });
    expect(ids(grown.validation).filter((id) => id.startsWith('/data/tubs/a#'))).toEqual(ids(base.validation));
  });

  it('puts at least one record on each side of a tiny set, and rejects a bad fraction', () => {
    const split = splitRecords(records(2), { validationFraction: 0.01, seed: 3 });
    expect([split.train.length, split.validation.length]).toEqual([1, 1]);
    expect(splitRecords(records(5), { validationFraction: 0 }).validation).toEqual([]);
    expect(() => splitRecords(records(5), { validationFraction: 1 })).toThrow(/validationFraction must be in \[0, 1\), got 1/);
  });
});

describe('listTubs', () => {
  it('summarises each tub for the dashboard: records, deleted, time span', async () => {
    const root = await tempDir();
    const writer = await writeTub(path.join(root, '2024-05-17_10-30-00_car1'), 10, { metadata: { car: '1' } });
    await writer.markDeleted([9]);
    await writer.close();
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.join(root, 'broken'));
    await writeFile(path.join(root, 'broken', 'manifest.json'), 'garbage');
    await mkdir(path.join(root, 'not-a-tub'));

    const summaries = await listTubs(root);
    expect(summaries.map((s) => s.name)).toEqual(['2024-05-17_10-30-00_car1', 'broken']);
    expect(summaries[0]).toMatchObject({ records: 9, deleted: 1, firstTimestampMs: 1_700_000_000_000, lastTimestampMs: 1_700_000_000_400, durationMs: 400, sessions: ['24-05-17_0'], metadata: { car: '1' } });
    expect(summaries[1]!.error).toMatch(/broken: manifest.json has 1 lines, expected 5/);
    expect(await listTubs(path.join(root, 'absent'))).toEqual([]);
  });
});
