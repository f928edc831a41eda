/** Tub listing for the dashboard's training view: how much was recorded, when, and whether it reads. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE } from './format.ts';
import { readTub, TubError } from './reader.ts';

export interface TubSummary {
  name: string;
  path: string;
  /** usable records (not deleted, not bad) */
  records: number;
  deleted: number;
  /** bad records skipped */
  skipped: number;
  firstTimestampMs: number | undefined;
  lastTimestampMs: number | undefined;
  /** last minus first timestamp; 0 with fewer than two timestamps */
  durationMs: number;
  sessions: string[];
  /** metadata the writer stored (e.g. the car) */
  metadata: Record<string, unknown>;
  /** set when the tub could not be read at all */
  error?: string;
}

export async function summarizeTub(dir: string): Promise<TubSummary> {
  const tubPath = path.resolve(dir);
  const base = { name: path.basename(tubPath), path: tubPath };
  try {
    const tub = await readTub(tubPath, { checkImages: false });
    const stamps = tub.records.map((record) => record.timestampMs).filter((ts): ts is number => ts !== undefined);
    const first = stamps.length > 0 ? Math.min(...stamps) : undefined;
    const last = stamps.length > 0 ? Math.max(...stamps) : undefined;
    return {
      ...base,
      records: tub.records.length,
      deleted: tub.deleted,
      skipped: tub.skipped,
      firstTimestampMs: first,
      lastTimestampMs: last,
      durationMs: first !== undefined && last !== undefined ? last - first : 0,
      sessions: [...new Set(tub.records.map((record) => record.sessionId).filter((id): id is string => id !== undefined))],
      metadata: tub.manifest.metadata,
    };
  } catch (error) {
    if (!(error instanceof TubError)) throw error;
    return { ...base, records: 0, deleted: 0, skipped: 0, firstTimestampMs: undefined, lastTimestampMs: undefined, durationMs: 0, sessions: [], metadata: {}, error: error.message };
  }
}

/** The tubs directly inside `root` (folders holding a manifest.json), by name; none when root is absent. */
export async function listTubs(root: string): Promise<TubSummary[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const summaries: TubSummary[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(root, entry.name);
    const files = await readdir(dir).catch(() => [] as string[]);
    if (files.includes(MANIFEST_FILE)) summaries.push(await summarizeTub(dir));
  }
  return summaries;
}
