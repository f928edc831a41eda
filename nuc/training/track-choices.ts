/**
 * The tracks the arena offers: the simulator's own, the configured evaluation tracks
 * (nuc.training.evalTracks, which may name track files anywhere), and the track files in
 * `<dataDir>/tracks`. A browser picks one by id; only the server turns an id into a file to load,
 * so a request can never name an arbitrary path.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { EVAL_TRACKS } from '../../trainer/index.ts';

export interface TrackChoice {
  /** what the arena request names */
  id: string;
  /** what the simulator loads: a track name or a file path */
  load: string;
  from: 'simulator' | 'configured' | 'file';
}

export async function trackChoices(evalTracks: readonly string[], tracksDir?: string): Promise<TrackChoice[]> {
  const choices: TrackChoice[] = EVAL_TRACKS.map((name) => ({ id: name, load: name, from: 'simulator' }));
  for (const track of evalTracks) if (!choices.some((c) => c.id === track)) choices.push({ id: track, load: track, from: 'configured' });
  if (tracksDir) {
    const files = await fs.readdir(tracksDir).catch(() => [] as string[]);
    for (const file of files.filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()) {
      const id = `tracks/${file}`;
      if (!choices.some((c) => c.id === id)) choices.push({ id, load: path.join(tracksDir, file), from: 'file' });
    }
  }
  return choices;
}
