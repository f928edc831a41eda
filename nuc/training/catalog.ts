/** What the training view lists: the recorded tubs (with a preview strip) and the trained models. */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { MAX_IMAGE_PIXELS, METADATA_FILE, type ModelMetadata } from '../../model/index.ts';
import { listTubs, readTub, TubError } from '../../tub/index.ts';
import { modelStanding, type ModelStatus } from './model-status.ts';
import { isTubName } from './names.ts';
import type { TrackResult } from './types.ts';

export interface TubInfo {
  name: string;
  /** usable records */
  records: number;
  durationS: number;
  deleted: number;
  /** first record's time, else null */
  created: string | null;
  /** bad records skipped, and why the tub cannot be read at all if it cannot */
  errors: { skipped: number; message: string | null };
}

export async function listTubInfo(tubsDir: string): Promise<TubInfo[]> {
  const summaries = await listTubs(tubsDir);
  return summaries.map((s) => ({
    name: s.name,
    records: s.records,
    durationS: s.durationMs / 1000,
    deleted: s.deleted,
    created: s.firstTimestampMs !== undefined ? new Date(s.firstTimestampMs).toISOString() : null,
    errors: { skipped: s.skipped, message: s.error ?? null },
  }));
}

export class CatalogError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** `count` indexes spread evenly over `total` items, first and last included. */
export function evenlySpaced(total: number, count: number): number[] {
  if (total <= 0 || count <= 0) return [];
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  if (count === 1) return [Math.floor(total / 2)];
  return Array.from({ length: count }, (_, i) => Math.round((i * (total - 1)) / (count - 1)));
}

export interface PreviewOptions {
  frames: number;
  /** height of each thumbnail, px */
  height: number;
}

/** A JPEG of `frames` evenly spaced frames of the tub, side by side. */
export async function tubPreview(tubsDir: string, name: string, options: PreviewOptions): Promise<Buffer> {
  if (!isTubName(name)) throw new CatalogError(400, `'${name}' is not a tub name: use letters, digits, '.', '-' or '_', not starting with '.'`);
  const dir = path.join(tubsDir, name);
  let tub;
  try {
    tub = await readTub(dir, { checkImages: false });
  } catch (error) {
    if (error instanceof TubError && error.reason === 'not-a-tub') throw new CatalogError(404, `there is no tub '${name}'`);
    if (error instanceof TubError) throw new CatalogError(422, `tub '${name}' cannot be read: ${error.message}`);
    throw error;
  }
  if (tub.records.length === 0) throw new CatalogError(422, `tub '${name}' has no records to preview`);
  const picks = evenlySpaced(tub.records.length, options.frames).map((i) => tub.records[i]!);
  const thumbs: Buffer[] = [];
  for (const record of picks) {
    // a missing or broken image leaves a gap rather than no preview at all
    const thumb = await sharp(record.imagePath, { limitInputPixels: MAX_IMAGE_PIXELS })
      .resize({ height: options.height })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch(() => undefined);
    if (thumb) thumbs.push(await sharp(thumb.data, { raw: thumb.info }).png().toBuffer());
  }
  if (thumbs.length === 0) throw new CatalogError(422, `tub '${name}': none of the ${picks.length} preview images could be read`);
  const widths = await Promise.all(thumbs.map(async (t) => (await sharp(t).metadata()).width ?? 0));
  const total = widths.reduce((a, b) => a + b, 0);
  let left = 0;
  const composite = thumbs.map((input, i) => {
    const placed = { input, left, top: 0 };
    left += widths[i]!;
    return placed;
  });
  return sharp({ create: { width: total, height: options.height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .composite(composite)
    .jpeg({ quality: 75 })
    .toBuffer();
}

export interface ModelInfo {
  name: string;
  kind: string;
  created: string;
  /** candidate (passed the gate), rejected (with the reasons), or unevaluated (with why) */
  status: ModelStatus;
  reasons: string[];
  tubs: string[];
  crop: { top: number; bottom: number } | null;
  metrics: {
    valLoss: number | null;
    bestEpoch: number | null;
    epochs: number | null;
    trainSamples: number | null;
    durationS: number;
    backend: string;
    tracks: TrackResult[];
  };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Models under `modelsDir` (folders with a metadata.json), newest first; half-saved ones are hidden. */
export async function listModels(modelsDir: string): Promise<ModelInfo[]> {
  const entries = await fs.readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  const models: ModelInfo[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(modelsDir, entry.name);
    const metadata = await readJson<ModelMetadata>(path.join(dir, METADATA_FILE));
    if (!metadata || typeof metadata !== 'object') continue;
    const standing = await modelStanding(dir);
    const evaluation = standing.evaluation;
    const crop = metadata.crop && typeof metadata.crop === 'object' ? { top: Number(metadata.crop.top) || 0, bottom: Number(metadata.crop.bottom) || 0 } : null;
    models.push({
      name: entry.name,
      kind: String(metadata.kind),
      created: String(metadata.createdAt ?? ''),
      status: standing.status,
      reasons: standing.reasons,
      tubs: Array.isArray(metadata.tubs) ? metadata.tubs.map(String) : [],
      crop,
      metrics: {
        valLoss: evaluation?.valLoss ?? metadata.metrics?.bestValLoss ?? null,
        bestEpoch: metadata.metrics?.bestEpoch ?? null,
        epochs: metadata.metrics?.epochs ?? null,
        trainSamples: metadata.metrics?.trainSamples ?? null,
        durationS: Number(metadata.durationS) || 0,
        backend: String(metadata.backend ?? ''),
        tracks: evaluation?.tracks ?? [],
      },
    });
  }
  return models.sort((a, b) => b.created.localeCompare(a.created));
}
