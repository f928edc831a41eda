/** Test support: temp folders, and real tubs with known records (for the tub code, the CLI and training). */
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { onTestFinished } from 'vitest';
import {
  ANGLE_KEY,
  catalogFileName,
  catalogManifestName,
  catalogManifestText,
  createNodeTubFileSystem,
  DEFAULT_INPUTS,
  DEFAULT_MAX_LEN,
  IMAGE_KEY,
  imageFileName,
  manifestText,
  MODE_KEY,
  pythonJson,
  THROTTLE_KEY,
  TubWriter,
  TUB_FORMAT_VERSION,
  type TubWriterOptions,
  type TubWriteRecord,
} from '../../tub/index.ts';

/** Real files without fsync: the tests check layout and recovery, not power-cut durability. */
export const fastFs = createNodeTubFileSystem({ fsync: false });

/** A fresh temp folder, removed when the test that asked for it finishes. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-tub-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Distinct fake JPEG bytes per record (the tub code never decodes them). */
export function sampleRecord(i: number): TubWriteRecord {
  return {
    jpeg: Buffer.from([0xff, 0xd8, i & 0xff, (i >> 8) & 0xff, 0xff, 0xd9]),
    angle: Math.round(Math.sin(i) * 1000) / 1000,
    throttle: i % 5 === 0 ? 0 : 0.25 + (i % 3) * 0.1,
    mode: i % 4 === 3 ? 'local_angle' : 'user',
    timestampMs: 1_700_000_000_000 + i * 50,
  };
}

export async function writeTub(dir: string, count: number, options: TubWriterOptions = {}): Promise<TubWriter> {
  const writer = await TubWriter.create(dir, { now: () => new Date(2024, 4, 17, 10, 30), fs: fastFs, ...options });
  for (let i = 0; i < count; i++) await writer.write(sampleRecord(i));
  return writer;
}

/** A closed tub of real frames a model can learn from: brightness encodes the steering angle, 160x120 as the recorder stores them. */
export async function writeTestTub(dir: string, records: number, options: { mode?: string } = {}): Promise<void> {
  const writer = await TubWriter.create(dir, { metadata: { car: 'test' } });
  for (let i = 0; i < records; i++) {
    const level = (i % 5) / 4;
    const v = Math.round(level * 255);
    const jpeg = await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: v, g: v, b: 255 - v } } })
      .jpeg()
      .toBuffer();
    await writer.write({ jpeg, angle: level * 2 - 1, throttle: 0.3, mode: options.mode ?? 'user', timestampMs: 1_700_000_000_000 + i * 50 });
  }
  await writer.close();
}

/**
 * A long closed tub written in bulk, the layout TubWriter writes, a catalog at a time (TubWriter
 * commits record by record, minutes for 20,000): tiny 8x6 JPEGs, hard links of one file, whose
 * colour cycles so thumbnails differ; steering a slow sine, throttle 0.3, all in user mode.
 */
export async function writeLongTub(dir: string, count: number): Promise<void> {
  await mkdir(path.join(dir, 'images'), { recursive: true });
  const colours = await Promise.all(
    [0, 1, 2, 3].map(async (c) => {
      const file = path.join(dir, `.colour-${c}.jpg`);
      await writeFile(file, await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: c * 80, g: 200 - c * 50, b: 90 } } }).jpeg().toBuffer());
      return file;
    }),
  );
  const floatKeys = new Set([ANGLE_KEY, THROTTLE_KEY]);
  const created = 1_700_000_000;
  const paths: string[] = [];
  for (let start = 0, n = 0; start < count; start += DEFAULT_MAX_LEN, n++) {
    const lines: string[] = [];
    for (let index = start; index < Math.min(count, start + DEFAULT_MAX_LEN); index++) {
      const values = { [ANGLE_KEY]: Math.round(Math.sin(index / 50) * 1000) / 1000, [THROTTLE_KEY]: 0.3, [MODE_KEY]: 'user', _timestamp_ms: created * 1000 + index * 50, _session_id: '23-11-14_0', [IMAGE_KEY]: imageFileName(index), _index: index };
      lines.push(`${pythonJson(values, { sortKeys: true, floatKeys })}\n`);
    }
    const name = catalogFileName(n);
    paths.push(name);
    await writeFile(path.join(dir, name), lines.join(''));
    await writeFile(path.join(dir, catalogManifestName(name)), catalogManifestText({ created_at: created, line_lengths: lines.map((l) => Buffer.byteLength(l)), path: catalogManifestName(name), start_index: start }));
  }
  for (let index = 0; index < count; index += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - index) }, (_, k) => link(colours[((index + k) >> 6) % 4]!, path.join(dir, 'images', imageFileName(index + k)))));
  }
  await Promise.all(colours.map((file) => rm(file)));
  await writeFile(
    path.join(dir, 'manifest.json'),
    manifestText({
      inputs: DEFAULT_INPUTS.map((i) => i.key),
      types: DEFAULT_INPUTS.map((i) => i.type),
      metadata: { car: 'long' },
      manifestMetadata: { created_at: created, format_version: TUB_FORMAT_VERSION, sessions: { all_full_ids: ['23-11-14_0'], last_id: 0, last_full_id: '23-11-14_0' } },
      catalog: { paths, current_index: count, max_len: DEFAULT_MAX_LEN, deleted_indexes: [] },
    }),
  );
}
