/** The training view's data: REST for tubs, models and actions; socket.io `/training` for live jobs. */
import { shallowRef, type Ref } from 'vue';
import type { ArenaRequest, ModelInfo, ModelKind, ModelsReply, ShipReply, TrackChoice, TrackResult, TracksReply, TrainingJob, TubInfo, TubsReply } from '../../nuc/server/wire.ts';
import { connectLive } from './live-socket.ts';
import { json, send } from './rest.ts';
import type { ConnectionState } from './types.ts';

/** The list with `job` put in its place (newest id first), unless the list already has a newer revision. */
export function mergeJob(jobs: readonly TrainingJob[], job: TrainingJob): TrainingJob[] {
  const existing = jobs.find((j) => j.id === job.id);
  if (existing && existing.revision >= job.revision) return [...jobs];
  return [...jobs.filter((j) => j.id !== job.id), job].sort((a, b) => b.id - a.id);
}

/** "21.0 s (1.17× expert)": the mean lap time against the expert's. */
export function lapVsExpert(track: TrackResult): string {
  if (track.lapTimesS.length === 0) return 'no lap';
  const mean = track.lapTimesS.reduce((a, b) => a + b, 0) / track.lapTimesS.length;
  const ratio = track.expertLapS ? ` (${(mean / track.expertLapS).toFixed(2)}× expert)` : '';
  return `${mean.toFixed(1)} s${ratio}`;
}

export interface LiveJobs {
  state: Ref<ConnectionState>;
  jobs: Ref<TrainingJob[]>;
  close(): void;
}

export function connectTraining(): LiveJobs {
  const live = connectLive('/training');
  const jobs = shallowRef<TrainingJob[]>([]);
  live.socket.on('jobs', (list) => (jobs.value = [...list].sort((a, b) => b.id - a.id)));
  live.socket.on('job', (job) => (jobs.value = mergeJob(jobs.value, job)));
  return { state: live.state, jobs, close: live.close };
}


export async function fetchTubs(): Promise<TubInfo[]> {
  return (await json<TubsReply>(await fetch('/api/tubs'))).tubs;
}

export async function fetchModels(): Promise<ModelInfo[]> {
  return (await json<ModelsReply>(await fetch('/api/models'))).models;
}

export function previewUrl(tub: string): string {
  return `/api/tubs/${encodeURIComponent(tub)}/preview?frames=8&height=48`;
}

export async function startTraining(tubs: string[], kind: ModelKind, token: string): Promise<TrainingJob> {
  return send<TrainingJob>('POST', '/api/training/jobs', token, { tubs, kind });
}

export async function cancelJob(id: number, token: string): Promise<TrainingJob> {
  return send<TrainingJob>('POST', `/api/training/jobs/${id}/cancel`, token);
}

/**
 * Ships a model to the cars as a model-only release; they swap it into their running pilot. Only a
 * candidate ships without `override`; with it, the release history records the override.
 */
export async function shipModel(name: string, token: string, override = false): Promise<ShipReply> {
  return send<ShipReply>('POST', `/api/models/${encodeURIComponent(name)}/ship`, token, override ? { override: true } : {});
}

/** Queues the closed-loop evaluation (and the candidate gate's verdict) of a saved model. */
export async function evaluateModel(name: string, token: string): Promise<TrainingJob> {
  return send<TrainingJob>('POST', `/api/models/${encodeURIComponent(name)}/evaluate`, token);
}

export async function fetchTracks(): Promise<TrackChoice[]> {
  return (await json<TracksReply>(await fetch('/api/tracks'))).tracks;
}

/** Queues an arena race: `track` is a TrackChoice id. */
export async function startArena(request: Omit<ArenaRequest, 'laps' | 'seed'> & Partial<Pick<ArenaRequest, 'laps' | 'seed'>>, token: string): Promise<TrainingJob> {
  return send<TrainingJob>('POST', '/api/arena', token, request);
}

/** Why a model may not ship as it is: '' for a candidate. */
export function shipWarning(model: Pick<ModelInfo, 'name' | 'status' | 'reasons'>): string {
  if (model.status === 'candidate') return '';
  const what = model.status === 'rejected' ? 'was rejected by the candidate gate' : 'has not been evaluated in the simulator';
  return `${model.name} ${what}${model.reasons.length ? `: ${model.reasons.join('; ')}` : ''}.`;
}

/** What a job is doing, in a few words. */
export function jobTitle(job: TrainingJob): string {
  if (job.action === 'evaluate') return `evaluation of ${job.model}`;
  if (job.action === 'arena') return `arena: ${job.arena.models[0]} vs ${job.arena.models[1]} on ${job.arena.track.split('/').pop()}`;
  return `${job.kind} on ${job.tubs.join(', ')}`;
}
