/**
 * Track files: JSON `{name?, description?, width, points: [[x, y], ...]}` in metres. Parsing is pure
 * and reports the first problem with the file and field named; loading reads the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Track } from './track.ts';
import type { TrackSpec } from './track.ts';

export class TrackError extends Error {
  constructor(
    readonly source: string,
    readonly field: string,
    reason: string,
  ) {
    super(`track ${source}: ${field}: ${reason}`);
    this.name = 'TrackError';
  }
}

export const BUILTIN_TRACKS = ['default', 'twisty'] as const;
export type BuiltinTrackName = (typeof BUILTIN_TRACKS)[number];

const MIN_POINTS = 4;
const MAX_WIDTH_M = 10;
const MIN_LOOP_M = 2;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a decoded JSON value and returns the spec; throws a TrackError naming the bad field. */
export function validateTrackSpec(value: unknown, source: string): TrackSpec {
  if (!isRecord(value)) throw new TrackError(source, '(root)', 'must be a JSON object with width and points');
  const name = value.name ?? path.basename(source, path.extname(source));
  if (typeof name !== 'string' || name.trim() === '') throw new TrackError(source, 'name', 'must be a non-empty string');
  const description = value.description;
  if (description !== undefined && typeof description !== 'string') throw new TrackError(source, 'description', 'must be a string');
  const width = value.width;
  if (typeof width !== 'number' || !Number.isFinite(width) || width <= 0 || width > MAX_WIDTH_M) {
    throw new TrackError(source, 'width', `must be a positive number of metres up to ${MAX_WIDTH_M}, got ${JSON.stringify(width)}`);
  }
  const raw = value.points;
  if (!Array.isArray(raw)) throw new TrackError(source, 'points', 'must be an array of [x, y] pairs in metres');
  const points: Array<[number, number]> = raw.map((p: unknown, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => typeof c === 'number' && Number.isFinite(c))) {
      throw new TrackError(source, `points[${i}]`, `must be [x, y] with two finite numbers, got ${JSON.stringify(p)}`);
    }
    return [p[0] as number, p[1] as number];
  });
  // A file may close the loop explicitly by repeating the first point.
  const first = points[0];
  const last = points[points.length - 1];
  if (points.length > 1 && first && last && first[0] === last[0] && first[1] === last[1]) points.pop();
  if (points.length < MIN_POINTS) {
    throw new TrackError(source, 'points', `needs at least ${MIN_POINTS} distinct points for a closed loop, got ${points.length}`);
  }
  let loop = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    const step = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (step === 0) throw new TrackError(source, `points[${(i + 1) % points.length}]`, 'repeats the point before it');
    loop += step;
  }
  if (loop < MIN_LOOP_M) throw new TrackError(source, 'points', `the loop is only ${loop.toFixed(2)} m long; at least ${MIN_LOOP_M} m needed`);
  return { name, ...(description !== undefined ? { description } : {}), width, points };
}

/** Parses track JSON text; `source` names the file in errors. */
export function parseTrack(text: string, source: string): Track {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TrackError(source, '(json)', `not valid JSON: ${(error as Error).message}`);
  }
  return new Track(validateTrackSpec(value, source));
}

export function loadTrackFile(file: string): Track {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new TrackError(file, '(file)', `cannot be read: ${(error as Error).message}`);
  }
  return parseTrack(text, file);
}

/**
 * The built-in tracks' folder, from the project's root. A bundle of code that loads tracks carries it
 * beside itself: the tracks are found next to this module (`import.meta.url`), bundled or not.
 */
export const BUILTIN_TRACKS_DIR = 'world/tracks';
const tracksDirectory = path.join(path.dirname(fileURLToPath(import.meta.url)), path.basename(BUILTIN_TRACKS_DIR));
const builtinCache = new Map<BuiltinTrackName, Track>();

export function builtinTrackPath(name: BuiltinTrackName): string {
  return path.join(tracksDirectory, `${name}.json`);
}

/** A shipped track by name, or a track file by path (anything containing a slash or ending .json). */
export function loadTrack(nameOrFile: string): Track {
  if ((BUILTIN_TRACKS as readonly string[]).includes(nameOrFile)) {
    const name = nameOrFile as BuiltinTrackName;
    let track = builtinCache.get(name);
    if (!track) {
      track = loadTrackFile(builtinTrackPath(name));
      builtinCache.set(name, track);
    }
    return track;
  }
  if (nameOrFile.includes('/') || nameOrFile.includes(path.sep) || nameOrFile.endsWith('.json')) return loadTrackFile(nameOrFile);
  throw new TrackError(nameOrFile, '(name)', `is neither a shipped track (${BUILTIN_TRACKS.join(', ')}) nor a .json file path`);
}
