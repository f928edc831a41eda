/**
 * The fleet's updates as the NUC serves them: the `fleet` event on the `/fleet` namespace (pushed
 * as updates move), `GET /api/releases`, and the token-guarded `POST /api/cars/:car/rollback`.
 * Shapes mirror nuc/ota's FleetCar (the dashboard is built separately).
 */
import { io } from 'socket.io-client';
import { ref, shallowRef, type Ref } from 'vue';
import type { ConnectionState } from './types.ts';

export interface RolloutEvent {
  id: number;
  car: string;
  from: number | null;
  to: number;
  outcome: 'installed' | 'failed' | 'rolled-back';
  error: string | null;
  at: string;
}

export interface FleetCar {
  car: string;
  version: number | null;
  label: string | null;
  targetVersion: number | null;
  services: { name: string; version: number | null; content: string; slot: 'A' | 'B' | null }[];
  model: { name: string; version: number | null } | null;
  pilotModel: string | null;
  inferMs: number | null;
  update: { state: string; progress: number; release: string; slot: 'A' | 'B' } | null;
  error: string | null;
  lastSeenMsAgo: number | null;
  previousVersion: number | null;
  history: RolloutEvent[];
}

export interface ReleaseSummary {
  version: number;
  label: string;
  createdAt: string;
  rollbackOf: number | null;
}

export interface FleetUpdates {
  state: Ref<ConnectionState>;
  cars: Ref<FleetCar[]>;
  close(): void;
}

export function connectFleetUpdates(): FleetUpdates {
  const socket = io('/fleet', { transports: ['websocket'], reconnectionDelayMax: 2000 });
  const state = ref<ConnectionState>('connecting');
  const cars = shallowRef<FleetCar[]>([]);
  socket.on('connect', () => (state.value = 'connected'));
  socket.on('disconnect', (reason) => {
    state.value = 'lost';
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  socket.on('fleet', (list: FleetCar[]) => (cars.value = list));
  return {
    state,
    cars,
    close() {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}

export async function fetchReleases(fetcher: typeof fetch = fetch): Promise<ReleaseSummary[]> {
  const response = await fetcher('/api/releases');
  if (!response.ok) throw new Error(`the NUC answered ${response.status} for the releases`);
  return ((await response.json()) as { releases: ReleaseSummary[] }).releases;
}

export type RollbackAnswer = { ok: true; version: number; rollbackOf: number } | { ok: false; error: string };

/** Asks the NUC to roll the car back; the server's own message is returned when it refuses. */
export async function requestRollback(car: string, token: string, fetcher: typeof fetch = fetch): Promise<RollbackAnswer> {
  let response: Response;
  try {
    response = await fetcher(`/api/cars/${encodeURIComponent(car)}/rollback`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  } catch {
    return { ok: false, error: 'the NUC did not answer' };
  }
  const body = (await response.json().catch(() => ({}))) as { message?: string; rollbackOf?: number; release?: { version: number } };
  if (!response.ok) return { ok: false, error: body.message ?? `the NUC answered ${response.status}` };
  return { ok: true, version: body.release?.version ?? 0, rollbackOf: body.rollbackOf ?? 0 };
}
