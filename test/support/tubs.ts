/** Test support: temp folders, and real tubs with known records (for the tub code, the CLI and training). */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { onTestFinished } from 'vitest';
import { createNodeTubFileSystem, TubWriter, type TubWriterOptions, type TubWriteRecord } from '../../trainer/tub/index.ts';

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
