/**
 * The race clock as a live view shows it: the NUC's race time when the session was last heard, run
 * on by the page's own clock while the race runs (not under a red flag, not after the finish), so it
 * ticks smoothly between the NUC's updates.
 */
import type { RaceView } from '../../nuc/server/wire.ts';

export function raceClockMs(race: Pick<RaceView, 'raceMs' | 'phase' | 'redFlag' | 'remainingMs'> | null, heardAtMs: number, nowMs: number): number | null {
  if (!race || race.raceMs === null) return null;
  const running = race.phase === 'racing' && !race.redFlag;
  return race.raceMs + (running ? Math.max(0, nowMs - heardAtMs) : 0);
}

/** 83456 → "1:23.4" (the overlay's clock: tenths). */
export function formatClock(ms: number | null): string {
  if (ms === null) return '0:00.0';
  const tenths = Math.floor(ms / 100);
  const minutes = Math.floor(tenths / 600);
  const seconds = (tenths % 600) / 10;
  return `${minutes}:${seconds.toFixed(1).padStart(4, '0')}`;
}
