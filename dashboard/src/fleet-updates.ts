/**
 * The fleet's updates as the NUC serves them: the `fleet` event on the `/fleet` namespace (pushed
 * as updates move), `GET /api/releases`, and the token-guarded `POST /api/cars/:car/rollback` and
 * `POST /api/fleet/:car/os-reboot`.
 */
import { shallowRef, type Ref } from 'vue';
import type { ErrorReply, FleetCar, OsRebootReply, ReleasesReply, ReleaseSummary, RollbackReply } from '../../nuc/server/wire.ts';
import { connectLive } from './live-socket.ts';
import type { ConnectionState } from './types.ts';

export interface FleetUpdates {
  state: Ref<ConnectionState>;
  cars: Ref<FleetCar[]>;
  close(): void;
}

export function connectFleetUpdates(): FleetUpdates {
  const live = connectLive('/fleet');
  const cars = shallowRef<FleetCar[]>([]);
  live.socket.on('fleet', (list) => (cars.value = list));
  return { state: live.state, cars, close: live.close };
}

export async function fetchReleases(fetcher: typeof fetch = fetch): Promise<ReleaseSummary[]> {
  const response = await fetcher('/api/releases');
  if (!response.ok) throw new Error(`the NUC answered ${response.status} for the releases`);
  return ((await response.json()) as ReleasesReply).releases;
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
  const body = (await response.json().catch(() => ({}))) as Partial<RollbackReply & ErrorReply>;
  if (!response.ok) return { ok: false, error: body.message ?? `the NUC answered ${response.status}` };
  return { ok: true, version: body.release?.version ?? 0, rollbackOf: body.rollbackOf ?? 0 };
}

export type OsRebootAnswer = { ok: true; version: string; osReboot: string[] } | { ok: false; error: string };

/** Lets a car waiting for the operator reboot into its installed OS update; the server's own message is returned when it refuses. */
export async function requestOsReboot(car: string, token: string, fetcher: typeof fetch = fetch): Promise<OsRebootAnswer> {
  let response: Response;
  try {
    response = await fetcher(`/api/fleet/${encodeURIComponent(car)}/os-reboot`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  } catch {
    return { ok: false, error: 'the NUC did not answer' };
  }
  const body = (await response.json().catch(() => ({}))) as Partial<OsRebootReply & ErrorReply>;
  if (!response.ok) return { ok: false, error: body.message ?? `the NUC answered ${response.status}` };
  return { ok: true, version: body.version ?? '', osReboot: body.osReboot ?? [] };
}
