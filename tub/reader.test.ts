import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotEnoughRecordsError, readTubs } from './dataset.ts';
import { readTub, TubError } from './reader.ts';
import { tempDir, writeTub } from '../test/support/tubs.ts';
import { TubWriter } from './writer.ts';

/**
 * A tub as Donkeycar 4.x/5.x writes it, byte for byte in layout: five manifest lines (no format
 * version), Python's JSON separators, sorted catalog keys, '\n' lines, two catalogs of max_len 3,
 * one deleted record, extra inputs Donkeycar records (pilot/*), and session bookkeeping.
 */
async function writeDonkeycarFixture(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const record = (i: number, angle: string, throttle: string, mode: string) =>
    `{"_index": ${i}, "_session_id": "21-03-14_0", "_timestamp_ms": ${1615723200000 + i * 50}, "cam/image_array": "${i}_cam_image_array_.jpg", "pilot/angle": null, "user/angle": ${angle}, "user/mode": "${mode}", "user/throttle": ${throttle}}`;
  const catalog0 = [record(0, '0.0', '0.0', 'user'), record(1, '-0.25', '0.3', 'user'), record(2, '0.5', '0.35', 'local_angle')];
  const catalog1 = [record(3, '1.0', '0.4', 'user'), record(4, '-1.0', '0.45', 'user')];
  const lengths = (lines: string[]) => lines.map((line) => line.length + 1);
  await writeFile(
    path.join(dir, 'manifest.json'),
    [
      '["cam/image_array", "user/angle", "user/throttle", "user/mode", "pilot/angle"]',
      '["image_array", "float", "float", "str", "float"]',
      '{}',
      '{"created_at": 1615723199.7391484, "sessions": {"all_full_ids": ["21-03-14_0"], "last_id": 0, "last_full_id": "21-03-14_0"}}',
      '{"paths": ["catalog_0.catalog", "catalog_1.catalog"], "current_index": 5, "max_len": 3, "deleted_indexes": [1]}',
      '',
    ].join('\n'),
  );
  await writeFile(path.join(dir, 'catalog_0.catalog'), catalog0.map((line) => `${line}\n`).join(''));
  await writeFile(path.join(dir, 'catalog_1.catalog'), catalog1.map((line) => `${line}\n`).join(''));
  await writeFile(
    path.join(dir, 'catalog_0.catalog_manifest'),
    `{"created_at": 1615723199.74, "line_lengths": [${lengths(catalog0).join(', ')}], "path": "catalog_0.catalog_manifest", "start_index": 0}\n`,
  );
  await writeFile(
    path.join(dir, 'catalog_1.catalog_manifest'),
    `{"created_at": 1615723199.9, "line_lengths": [${lengths(catalog1).join(', ')}], "path": "catalog_1.catalog_manifest", "start_index": 3}\n`,
  );
  for (let i = 0; i < 5; i++) await writeFile(path.join(dir, 'images', `${i}_cam_image_array_.jpg`), Buffer.from([0xff, 0xd8, i, 0xff, 0xd9]));
}

describe('readTub', () => {
  it('reads a tub Donkeycar wrote, honouring its deleted records', async () => {
    const dir = path.join(await tempDir(), 'tub_1_21-03-14');
    await writeDonkeycarFixture(dir);
    const tub = await readTub(dir);
    expect(tub.issues).toEqual([]);
    expect(tub.deleted).toBe(1);
    expect(tub.records.map((r) => [r.index, r.angle, r.throttle, r.mode])).toEqual([
      [0, 0, 0, 'user'],
      [2, 0.5, 0.35, 'local_angle'],
      [3, 1, 0.4, 'user'],
      [4, -1, 0.45, 'user'],
    ]);
    expect(tub.records[1]).toMatchObject({ sessionId: '21-03-14_0', timestampMs: 1615723200100, imagePath: path.join(dir, 'images', '2_cam_image_array_.jpg') });
    expect(tub.records[1]!.values['pilot/angle']).toBeNull();
  });

  it("reads Donkeycar's older '\\r\\n' line endings", async () => {
    const dir = path.join(await tempDir(), 'tub');
    await writeDonkeycarFixture(dir);
    for (const name of ['catalog_0.catalog', 'catalog_1.catalog']) {
      const { readFile } = await import('node:fs/promises');
      await writeFile(path.join(dir, name), (await readFile(path.join(dir, name), 'utf8')).replaceAll('\n', '\r\n'));
    }
    expect((await readTub(dir)).records.map((r) => r.index)).toEqual([0, 2, 3, 4]);
  });

  it('skips a truncated last catalog line and says which tub and record', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 4);
    await writer.close();
    await appendFile(path.join(dir, 'catalog_0.catalog'), '{"_index": 4, "_session_id": "24-05-17_0", "cam/ima');

    const tub = await readTub(dir);
    expect(tub.records).toHaveLength(4);
    expect(tub.skipped).toBe(1);
    expect(tub.issues).toEqual([expect.objectContaining({ reason: 'truncated-line', index: 4, line: 5, catalog: 'catalog_0.catalog' })]);
    expect(tub.issues[0]!.message).toBe(`tub ${dir}: record 4 (catalog_0.catalog line 5): catalog line is cut short (the writer stopped mid-record)`);
  });

  it('skips a record whose image is missing, and an unparseable line in the middle', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 5);
    await writer.close();
    await rm(path.join(dir, 'images', '2_cam_image_array_.jpg'));
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(path.join(dir, 'catalog_0.catalog'), 'utf8')).split('\n');
    lines[3] = 'not json';
    await writeFile(path.join(dir, 'catalog_0.catalog'), lines.join('\n'));

    const tub = await readTub(dir);
    expect(tub.records.map((r) => r.index)).toEqual([0, 1, 4]);
    expect(tub.skipped).toBe(2);
    expect(tub.issues.map((issue) => [issue.reason, issue.index])).toEqual([
      ['missing-image', 2],
      ['unparseable-line', 3],
    ]);
    expect(tub.issues[0]!.message).toContain('record 2 (catalog_0.catalog line 3): image images/2_cam_image_array_.jpg is missing');
  });

  it('refuses a manifest from a newer format, naming the tub', async () => {
    const dir = path.join(await tempDir(), 'tub');
    await writeDonkeycarFixture(dir);
    const { readFile } = await import('node:fs/promises');
    const lines = (await readFile(path.join(dir, 'manifest.json'), 'utf8')).split('\n');
    lines[3] = '{"created_at": 1615723199.7, "format_version": 3}';
    await writeFile(path.join(dir, 'manifest.json'), lines.join('\n'));

    const error = await readTub(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TubError);
    expect(error).toMatchObject({ reason: 'newer-format', tub: dir });
    expect((error as Error).message).toBe(`tub ${dir}: was written in tub format 3; this version reads format 2 and older. Update the trainer to read it`);
  });

  it('refuses a folder that is not a tub, or a tub v1, or a malformed manifest, with the reason', async () => {
    const root = await tempDir();
    await expect(readTub(root)).rejects.toThrow(`tub ${root}: has no manifest.json; not a tub v2 folder`);
    await writeFile(path.join(root, 'meta.json'), '{}');
    await expect(readTub(root)).rejects.toMatchObject({ reason: 'tub-v1' });
    await writeFile(path.join(root, 'manifest.json'), '[]\n[]\n{}\n{}\n{"paths": "catalog_0.catalog"}\n');
    await expect(readTub(root)).rejects.toThrow(/manifest.json line 5: expected \{paths, current_index, max_len, deleted_indexes\}/);
  });

  it('reports an empty tub', async () => {
    const dir = path.join(await tempDir(), 'tub');
    await (await TubWriter.create(dir)).close();
    const tub = await readTub(dir);
    expect(tub.records).toEqual([]);
    expect(tub.issues).toEqual([expect.objectContaining({ reason: 'empty-tub', message: `tub ${dir}: the tub has no records` })]);
  });
});

describe('readTubs', () => {
  it('goes on past bad tubs and records when enough remain', async () => {
    const root = await tempDir();
    await writeDonkeycarFixture(path.join(root, 'theirs'));
    await (await writeTub(path.join(root, 'ours'), 3)).close();
    await (await TubWriter.create(path.join(root, 'empty'))).close();
    await mkdir(path.join(root, 'not-a-tub'));
    await rm(path.join(root, 'ours', 'images', '0_cam_image_array_.jpg'));

    const result = await readTubs(['theirs', 'ours', 'empty', 'not-a-tub'].map((name) => path.join(root, name)), { minRecords: 5 });
    expect(result.records).toHaveLength(6);
    expect(result.skipped).toBe(1);
    expect(result.refusedTubs).toEqual([path.join(root, 'not-a-tub')]);
    expect(result.issues.map((issue) => issue.reason)).toEqual(['missing-image', 'empty-tub', 'refused-tub']);
  });

  it('stops with the problems listed when too few records remain', async () => {
    const root = await tempDir();
    await (await TubWriter.create(path.join(root, 'empty'))).close();
    const error = await readTubs([path.join(root, 'empty')], { minRecords: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotEnoughRecordsError);
    expect((error as Error).message).toBe(`only 0 usable records, at least 10 needed\n  tub ${path.join(root, 'empty')}: the tub has no records`);
  });
});
