/** Race day's REST side: the track's outline, race control (token), and the results of past races. */
import type {
  CompetitionConfig,
  CompetitionsReply,
  CompetitionView,
  PenaltyKind,
  Racer,
  RacersReply,
  RaceReply,
  RaceResult,
  RacesReply,
  RaceView,
  TrackReply,
} from '../../nuc/server/wire.ts';
import { json, send, withToken } from './rest.ts';

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

// ── race day: racers, the timekeeper's corrections, competitions, results ─────────────────────────

/** Who makes a correction and why: kept with it and shown on the results. */
export interface Who {
  by: string;
  reason: string;
}

export async function fetchRacers(): Promise<Racer[]> {
  return (await json<RacersReply>(await fetch('/api/racers'))).racers;
}

export async function registerRacer(racer: Racer, token: string): Promise<Racer> {
  return send<Racer>('PUT', `/api/racers/${encodeURIComponent(racer.car)}`, token, { name: racer.name, colour: racer.colour });
}

export async function removeRacer(car: string, token: string): Promise<void> {
  const response = await fetch(`/api/racers/${encodeURIComponent(car)}`, { method: 'DELETE', headers: withToken(token) });
  if (!response.ok) await json(response);
}

export const strikeCrossing = (id: number, who: Who, token: string) => send<RaceView>('POST', `/api/race/crossings/${id}/strike`, token, who);
export const assignCrossing = (id: number, car: string, who: Who, token: string) => send<RaceView>('POST', `/api/race/crossings/${id}/assign`, token, { car, ...who });
export const addLap = (car: string, raceS: number, who: Who, token: string) => send<RaceView>('POST', '/api/race/laps', token, { car, raceS, ...who });
export const givePenalty = (car: string, kind: PenaltyKind, who: Who, token: string) => send<RaceView>('POST', '/api/race/penalties', token, { car, kind, ...who });
export const redFlag = (who: Who, token: string) => send<RaceView>('POST', '/api/race/red-flag', token, who);
export const resumeRace = (who: Who, token: string) => send<RaceView>('POST', '/api/race/resume', token, who);

export async function fetchCompetitions(): Promise<CompetitionView[]> {
  return (await json<CompetitionsReply>(await fetch('/api/competitions'))).competitions;
}

export async function fetchCompetition(id: number): Promise<CompetitionView> {
  return json<CompetitionView>(await fetch(`/api/competitions/${id}`));
}

export type NewCompetition = CompetitionConfig & { seedFrom?: number };

export const makeCompetition = (config: NewCompetition, token: string) => send<CompetitionView>('POST', '/api/competitions', token, config);
export const nextSession = (id: number, token: string, car?: string) => send<RaceView>('POST', `/api/competitions/${id}/next`, token, car ? { car } : {});

export async function fetchResult(id: number): Promise<RaceResult> {
  return json<RaceResult>(await fetch(`/api/races/${id}`));
}

/** "12.3" seconds of race time, from the timekeeper's "1:23.456" or "83.456". */
export function parseRaceTime(text: string): number | undefined {
  const match = /^\s*(?:(\d+):)?(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match) return undefined;
  const seconds = Number(match[1] ?? 0) * 60 + Number(match[2]);
  return Number.isFinite(seconds) ? seconds : undefined;
}
