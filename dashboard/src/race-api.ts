/** Race day's REST side: the track's outline, race control (token), and the results of past races. */
import type { RaceReply, RaceResult, RacesReply, RaceView, TrackReply } from '../../nuc/server/wire.ts';
import { json, withToken } from './rest.ts';

export async function fetchTrack(): Promise<TrackReply> {
  return json<TrackReply>(await fetch('/api/track'));
}

export async function fetchRace(): Promise<RaceView | null> {
  return (await json<RaceReply>(await fetch('/api/race'))).race;
}

export async function fetchResults(limit = 10): Promise<RaceResult[]> {
  return (await json<RacesReply>(await fetch(`/api/races?limit=${limit}`))).races;
}

/** A new race on the grid: the cars are put on their slots in this order. */
export async function makeRace(cars: string[], laps: number, token: string): Promise<RaceView> {
  return json<RaceView>(await fetch('/api/race', { method: 'POST', headers: withToken(token, true), body: JSON.stringify({ cars, laps }) }));
}

export async function startRace(token: string): Promise<RaceView> {
  return json<RaceView>(await fetch('/api/race/start', { method: 'POST', headers: withToken(token) }));
}

export async function closeRace(token: string): Promise<void> {
  const response = await fetch('/api/race', { method: 'DELETE', headers: withToken(token) });
  if (!response.ok) await json(response);
}

/** "+1.234" behind the leader; the leader shows "Leader". */
export function formatGap(gapS: number | null, position: number): string {
  if (position === 1) return 'Leader';
  return gapS === null ? '–' : `+${gapS.toFixed(3)}`;
}
