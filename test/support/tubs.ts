/** Shared by this folder's tests: temp folders and tubs with known records. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createNodeTubFileSystem } from './tub-fs.ts';
import { TubWriter, type TubWriterOptions, type TubWriteRecord } from './writer.ts';

/** Real files without fsync: the tests check layout and recovery, not power-cut durability. */
export const fastFs = createNodeTubFileSystem({ fsync: false });

const made: string[] = [];

/** A fresh temp folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edge-tub-'));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

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
