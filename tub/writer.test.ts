import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTub } from './reader.ts';
import { fastFs, sampleRecord, tempDir, writeTub } from '../test/support/tubs.ts';
import { nodeTubFileSystem, type TubFileSystem } from './tub-fs.ts';
import { TubWriteError, TubWriter } from './writer.ts';

describe('TubWriter', () => {
  it('round trip: every record written reads back equal, image bytes included', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 25, { extraInputs: [{ key: 'car/frame_seq', type: 'int' }] });
    await writer.write({ ...sampleRecord(25), extra: { 'car/frame_seq': 4242 } });
    await writer.close();

    const tub = await readTub(dir);
    expect(tub.issues).toEqual([]);
    expect(tub.records).toHaveLength(26);
    for (const [i, record] of tub.records.entries()) {
      const expected = sampleRecord(i);
      expect(record).toMatchObject({ index: i, angle: expected.angle, throttle: expected.throttle, mode: expected.mode, timestampMs: expected.timestampMs, sessionId: '24-05-17_0' });
      expect(await readFile(record.imagePath)).toEqual(Buffer.from(expected.jpeg));
    }
    expect(tub.records[25]!.values['car/frame_seq']).toBe(4242);
    expect(tub.manifest.inputs).toEqual(['cam/image_array', 'user/angle', 'user/throttle', 'user/mode', 'car/frame_seq']);
  });

  it('lays the tub out as Donkeycar does (manifest lines, sorted catalog keys, line lengths, image names)', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 3, { fs: nodeTubFileSystem });
    await writer.close();

    const manifestLines = (await readFile(path.join(dir, 'manifest.json'), 'utf8')).split('\n');
    expect(manifestLines).toHaveLength(6);
    expect(manifestLines[0]).toBe('["cam/image_array", "user/angle", "user/throttle", "user/mode"]');
    expect(manifestLines[1]).toBe('["image_array", "float", "float", "str"]');
    expect(JSON.parse(manifestLines[3]!)).toMatchObject({ format_version: 2, sessions: { last_id: 0, last_full_id: '24-05-17_0', all_full_ids: ['24-05-17_0'] } });
    expect(manifestLines[4]).toBe('{"paths": ["catalog_0.catalog"], "current_index": 3, "max_len": 1000, "deleted_indexes": []}');

    const catalog = await readFile(path.join(dir, 'catalog_0.catalog'), 'utf8');
    const lines = catalog.split('\n').slice(0, -1);
    expect(lines[0]).toBe(
      '{"_index": 0, "_session_id": "24-05-17_0", "_timestamp_ms": 1700000000000, "cam/image_array": "0_cam_image_array_.jpg", "user/angle": 0.0, "user/mode": "user", "user/throttle": 0.0}',
    );
    const catalogManifest = JSON.parse(await readFile(path.join(dir, 'catalog_0.catalog_manifest'), 'utf8'));
    expect(catalogManifest).toMatchObject({ path: 'catalog_0.catalog_manifest', start_index: 0, line_lengths: lines.map((line) => line.length + 1) });
    expect(await readdir(path.join(dir, 'images'))).toEqual(['0_cam_image_array_.jpg', '1_cam_image_array_.jpg', '2_cam_image_array_.jpg']);
  });

  it('starts a new catalog every max_len records, each with its start index', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 7, { maxLen: 3 });
    await writer.close();

    const tub = await readTub(dir);
    expect(tub.manifest.catalog.paths).toEqual(['catalog_0.catalog', 'catalog_1.catalog', 'catalog_2.catalog']);
    for (const [n, start] of [0, 3, 6].entries()) {
      const manifest = JSON.parse(await readFile(path.join(dir, `catalog_${n}.catalog_manifest`), 'utf8'));
      expect(manifest.start_index).toBe(start);
      expect(manifest.line_lengths).toHaveLength(n === 2 ? 1 : 3);
    }
    expect(tub.records.map((record) => record.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('marks records deleted; reading skips them', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 6);
    await writer.markDeleted([1, 4]);
    await expect(writer.markDeleted([6])).rejects.toThrow(/cannot delete record 6: the tub has records 0..5/);
    await writer.close();

    const tub = await readTub(dir);
    expect(tub.records.map((record) => record.index)).toEqual([0, 2, 3, 5]);
    expect(tub.deleted).toBe(2);
    expect(tub.manifest.catalog.deleted_indexes).toEqual([1, 4]);
  });

  it('refuses to reuse a tub folder and to write after close', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 1);
    await writer.close();
    await expect(writer.write(sampleRecord(1))).rejects.toThrow(/is closed/);
    await expect(TubWriter.create(dir)).rejects.toThrow(/already exists/);
  });

  it('refuses NaN values without touching the tub', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 2);
    await expect(writer.write({ ...sampleRecord(2), angle: Number.NaN })).rejects.toThrow(/finite/);
    await writer.close();
    expect((await readTub(dir)).records).toHaveLength(2);
  });

  describe('on a full disk', () => {
    /** The real file system, except that the chosen operation fails with ENOSPC from the given call on. */
    function fillingDisk(operation: keyof TubFileSystem, failFromCall: number): TubFileSystem {
      let calls = 0;
      const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return {
        ...fastFs,
        [operation]: async (...args: unknown[]) => {
          calls++;
          if (calls >= failFromCall) {
            // A failing append may already have written part of the line, as a real short write does.
            if (operation === 'appendFile') await fastFs.appendFile(args[0] as string, (args[1] as string).slice(0, 10));
            throw enospc();
          }
          return (fastFs[operation] as (...a: unknown[]) => Promise<unknown>)(...args);
        },
      };
    }

    it.each([
      ['writeFile', 4], // the 3rd image (the first call creates catalog_0)
      ['appendFile', 3], // the 3rd catalog line, cut short
      ['writeFileAtomic', 8], // a manifest update
    ] as const)('a failing %s leaves a readable tub of the complete records', async (operation, failFromCall) => {
      const dir = path.join(await tempDir(), 'tub');
      const writer = await TubWriter.create(dir, { fs: fillingDisk(operation, failFromCall) });
      let written = 0;
      let failure: unknown;
      for (let i = 0; i < 5 && !failure; i++) {
        await writer.write(sampleRecord(i)).then(
          () => written++,
          (error: unknown) => (failure = error),
        );
      }
      expect(written).toBe(2);
      expect(failure).toBeInstanceOf(TubWriteError);
      expect((failure as Error).message).toMatch(/ENOSPC/);
      await writer.close().catch(() => undefined);

      const tub = await readTub(dir);
      expect(tub.issues).toEqual([]);
      expect(tub.records.map((record) => record.index)).toEqual([...Array(written).keys()]);
      expect(await readdir(path.join(dir, 'images'))).toHaveLength(written);
      expect((await readdir(dir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    });
  });

  it('tolerates a stray temp file from an interrupted manifest write', async () => {
    const dir = path.join(await tempDir(), 'tub');
    const writer = await writeTub(dir, 2);
    await writer.close();
    await writeFile(path.join(dir, 'manifest.json.tmp-1-deadbeef'), '["cam/ima');
    expect((await readTub(dir)).records).toHaveLength(2);
  });
});
