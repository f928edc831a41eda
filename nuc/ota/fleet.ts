/**
 * The fleet as an operator sees it: per car the release it runs, each service's and the model's
 * version, the update under way and the rollout history. Pure: built from the database and the
 * agent's and pilot's latest live reports.
 */
import { carOsOf, type OsSlots, type OsUpdate } from './car-os.ts';
import type { OtaDb, ReleaseRecord, RolloutEvent } from './ota-db.ts';

/** The live parts the server knows from the bus (latest agent report, latest telemetry). */
export interface LiveCar {
  id: string;
  lastSeen: number;
  agent?: {
    release: string;
    slot: 'A' | 'B';
    state: string;
    progress: number;
    error?: string | undefined;
    services?: unknown;
    os?: string | undefined;
    osSlots?: OsSlots | undefined;
    osUpdate?: OsUpdate | undefined;
  };
  telemetry?: { model: string; inferMs?: number | undefined };
}

export interface FleetService {
  name: string;
  /** the release that introduced the content the car runs (a rollback re-uses the original's number) */
  version: number | null;
  /** short content hash of its files */
  content: string;
  /** the slot it runs from, when the agent reports it */
  slot: 'A' | 'B' | null;
}

export interface FleetCar {
  car: string;
  /** the release the car runs (from the database), null before its first install */
  version: number | null;
  label: string | null;
  targetVersion: number | null;
  services: FleetService[];
  /** the model the running release carries, and the one the pilot reports it has loaded */
  model: { name: string; version: number | null } | null;
  pilotModel: string | null;
  inferMs: number | null;
  /** the car OS version its agent reports (null: not the project's image, or not heard yet) */
  os: string | null;
  /** its root slots as RAUC sees them: which one it booted, each one's state and OS version (null: not reported) */
  osSlots: OsSlots | null;
  /** the last OS update: version, outcome (pending-reboot waits for a reboot; rolled-back and failed fail its release), reason, when (ms since the epoch, the car's clock), bytes downloaded for it (when the agent says) */
  osUpdate: OsUpdate | null;
  update: { state: string; progress: number; release: string; slot: 'A' | 'B' } | null;
  error: string | null;
  lastSeenMsAgo: number | null;
  /** the release a rollback would re-publish, if there is one */
  previousVersion: number | null;
  /**
   * newest first; `override` when the release installed a model shipped on an override,
   * `withdrawn` (why) when the fleet rolled back from that release and no release builds on it
   */
  history: (RolloutEvent & { override: string | null; withdrawn: string | null })[];
}

interface ManifestShape {
  services?: Record<string, { files?: { sha256?: string }[] }>;
  model?: { name?: string; files?: { sha256?: string }[] };
}

const contentOf = (files: { sha256?: string }[] | undefined): string => (files ?? []).map((f) => f.sha256 ?? '').join(',');
const manifestOf = (release: ReleaseRecord | undefined): ManifestShape =>
  release && typeof release.manifest === 'object' && release.manifest !== null ? (release.manifest as ManifestShape) : {};

/** The first release (oldest) that carried exactly this content for the service or model. */
function introducedIn(releases: readonly ReleaseRecord[], pick: (m: ManifestShape) => { files?: { sha256?: string }[] } | undefined, content: string): number | null {
  for (const release of releases) if (contentOf(pick(manifestOf(release))?.files) === content) return release.version;
  return null;
}

/** A service's slot from the agent's optional `services` field ({name: {slot}} or {name: slot}). */
function slotOf(services: unknown, name: string): 'A' | 'B' | null {
  if (typeof services !== 'object' || services === null) return null;
  const entry = (services as Record<string, unknown>)[name];
  const slot = typeof entry === 'object' && entry !== null ? (entry as { slot?: unknown }).slot : entry;
  return slot === 'A' || slot === 'B' ? slot : null;
}

export function fleetSummary(db: OtaDb, live: readonly LiveCar[], now = Date.now(), historyLimit = 20): FleetCar[] {
  const oldestFirst = db.releases(1000).reverse();
  const byVersion = new Map(oldestFirst.map((r) => [r.version, r]));
  const liveById = new Map(live.map((c) => [c.id, c]));
  const ids = [...new Set([...db.cars().map((c) => c.car), ...live.map((c) => c.id)])].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return ids.map((id) => {
    const stored = db.car(id);
    const seen = liveById.get(id);
    const release = stored?.version != null ? byVersion.get(stored.version) : undefined;
    const manifest = manifestOf(release);
    const services = Object.entries(manifest.services ?? {})
      .map(([name, service]) => {
        const content = contentOf(service.files);
        return {
          name,
          version: introducedIn(oldestFirst, (m) => m.services?.[name], content),
          content: (service.files?.[0]?.sha256 ?? '').slice(0, 12),
          // without per-service slots, the agent's `slot` at rest is the pilot's
          slot: slotOf(seen?.agent?.services, name) ?? (name === 'pilot' && seen?.agent?.state === 'idle' ? seen.agent.slot : null),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const model = manifest.model?.name
      ? { name: manifest.model.name, version: introducedIn(oldestFirst, (m) => m.model, contentOf(manifest.model.files)) }
      : null;
    const agent = seen?.agent;
    // the live report while the car is heard, else the last one recorded
    const os = agent ? carOsOf(agent) : (db.carOs(id) ?? { os: null, osSlots: null, osUpdate: null });
    const updating = agent && agent.state !== 'idle' && agent.state !== 'failed';
    return {
      car: id,
      version: stored?.version ?? null,
      label: release?.label ?? null,
      targetVersion: stored?.targetVersion ?? null,
      services,
      model,
      pilotModel: seen?.telemetry?.model ?? null,
      inferMs: seen?.telemetry?.inferMs ?? null,
      os: os.os,
      osSlots: os.osSlots,
      osUpdate: os.osUpdate,
      update: updating ? { state: agent.state, progress: agent.progress, release: agent.release, slot: agent.slot } : null,
      error: agent?.error ?? stored?.error ?? null,
      lastSeenMsAgo: seen ? now - seen.lastSeen : null,
      previousVersion: db.previousVersion(id) ?? null,
      history: db.history({ car: id, limit: historyLimit }).map((event) => {
        const to = byVersion.get(event.to);
        return { ...event, override: to?.override ?? null, withdrawn: to?.withdrawn ?? null };
      }),
    };
  });
}
