import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changeDeletions, saveTrainFilter, TubEditError } from './edit.ts';
import { FilterError, TRAIN_FILTER_KEY } from './filter.ts';
import { readTub } from './reader.ts';
import { tempDir, writeTub } from '../test/support/tubs.ts';

async function closedTub(records: number): Promise<string> {
  const dir = path.join(await tempDir(), 'tub');
  await (await writeTub(dir, records, { metadata: { car: '3' } })).close();
  return dir;
}

describe('tub edits', () => {
  it("deletes and restores ranges as Donkeycar's deleted_indexes, which the reader then skips", async () => {
    const dir = await closedTub(30);
    const manifestBefore = (await readFile(path.join(dir, 'manifest.json'), 'utf8')).split('\n');
    expect(await changeDeletions(dir, { from: 5, to: 9, action: 'delete' })).toEqual([5, 6, 7, 8, 9]);
    expect(await changeDeletions(dir, { from: 20, to: 21, action: 'delete' })).toEqual([5, 6, 7, 8, 9, 20, 21]);
    expect(await changeDeletions(dir, { from: 7, to: 8, action: 'restore' })).toEqual([5, 6, 9, 20, 21]);
    const lines = (await readFile(path.join(dir, 'manifest.json'), 'utf8')).split('\n');
    // only the catalog state changed, in Donkeycar's own JSON layout
    expect(lines.slice(0, 4)).toEqual(manifestBefore.slice(0, 4));
    expect(lines[4]).toBe('{"paths": ["catalog_0.catalog"], "current_index": 30, "max_len": 1000, "deleted_indexes": [5, 6, 9, 20, 21]}');
    const tub = await readTub(dir);
    expect(tub.deleted).toBe(5);
    expect(tub.records.map((r) => r.index)).toEqual([...Array(30).keys()].filter((i) => ![5, 6, 9, 20, 21].includes(i)));
    const withDeleted = await readTub(dir, { includeDeleted: true });
    expect(withDeleted.deletedRecords?.map((r) => r.index)).toEqual([5, 6, 9, 20, 21]);
  });

  it('refuses a range outside the tub and leaves the manifest alone', async () => {
    const dir = await closedTub(10);
    const before = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    await expect(changeDeletions(dir, { from: 8, to: 10, action: 'delete' })).rejects.toThrow(TubEditError);
    await expect(changeDeletions(dir, { from: 8, to: 10, action: 'delete' })).rejects.toThrow(/the tub has records 0\.\.9; 10 is past its end/);
    await expect(changeDeletions(dir, { from: 4, to: 2, action: 'restore' })).rejects.toThrow(/4\.\.2 is not a range/);
    expect(await readFile(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('keeps concurrent edits of one tub, one after the other', async () => {
    const dir = await closedTub(40);
    await Promise.all([0, 10, 20, 30].map((from) => changeDeletions(dir, { from, to: from + 1, action: 'delete' })));
    expect((await readTub(dir)).manifest.catalog.deleted_indexes).toEqual([0, 1, 10, 11, 20, 21, 30, 31]);
  });

  it('saves the training filter in the metadata line, checked against the tub, and removes it', async () => {
    const dir = await closedTub(5);
    await saveTrainFilter(dir, "user/throttle > 0.1 && user/mode == 'user'");
    const tub = await readTub(dir);
    expect(tub.manifest.metadata).toEqual({ car: '3', [TRAIN_FILTER_KEY]: "user/throttle > 0.1 && user/mode == 'user'" });
    expect((await readFile(path.join(dir, 'manifest.json'), 'utf8')).split('\n')[2]).toBe('{"car": "3", "train_filter": "user/throttle > 0.1 && user/mode == \'user\'"}');
    await expect(saveTrainFilter(dir, 'user/speed > 1')).rejects.toThrow(FilterError);
    expect((await readTub(dir)).manifest.metadata[TRAIN_FILTER_KEY]).toBe("user/throttle > 0.1 && user/mode == 'user'");
    await saveTrainFilter(dir, null);
    expect((await readTub(dir)).manifest.metadata).toEqual({ car: '3' });
  });
});
