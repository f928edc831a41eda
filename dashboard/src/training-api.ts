/** The training view's data: REST for tubs, models and actions; socket.io `/training` for live jobs. */
import { shallowRef, type Ref } from 'vue';
import type { ModelInfo, ModelKind, ModelsReply, ShipReply, TrackResult, TrainingJob, TubInfo, TubsReply } from '../../nuc/server/wire.ts';
import { connectLive } from './live-socket.ts';
import { json } from './rest.ts';
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
  const response = await fetch('/api/training/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ tubs, kind }),
  });
  return json<TrainingJob>(response);
}

export async function cancelJob(id: number, token: string): Promise<TrainingJob> {
  return json<TrainingJob>(await fetch(`/api/training/jobs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }));
}

/** Ships a model to the cars as a model-only release; they swap it into their running pilot. */
export async function shipModel(name: string, token: string): Promise<ShipReply> {
  return json<ShipReply>(await fetch(`/api/models/${encodeURIComponent(name)}/ship`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }));
}
