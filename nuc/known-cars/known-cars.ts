/**
 * The cars the NUC keeps state for: the ones `npm start` runs (`launcher.cars`), the ones configured
 * for the track (`nuc.cars`) and (with bus security) the paired car identities. Anything keyed by a
 * car id from the network goes through here first, with security on or off, so a made-up id never
 * gets a video slot, a compositor pipeline, a recorder session or a row in `/api/cars`.
 */
import type { BusCounters, BusMessage } from '../../protocol/index.ts';
import type { PlatformConfig } from '../../runtime/index.ts';

export interface KnownCars {
  has(car: string): boolean;
  /** every known id, sorted */
  ids(): string[];
}

/** Where car ids come from; each is read again at most once a second, so a car paired while the NUC runs is known soon after. */
export type CarSource = () => Iterable<string>;

/** The sources of known car ids for this configuration; paired identities are one more entry. */
export function carSources(config: PlatformConfig): CarSource[] {
  return [() => config.launcher.cars, () => config.nuc.cars];
}

export function knownCars(sources: readonly CarSource[], now: () => number = Date.now, refreshMs = 1000): KnownCars {
  let ids = new Set<string>();
  let readAt = -Infinity;
  const current = (): Set<string> => {
    if (now() - readAt < refreshMs) return ids;
    readAt = now();
    const next = new Set<string>();
    for (const source of sources) {
      try {
        for (const id of source()) next.add(id);
      } catch {
        // a source that cannot be read now (a key file being rewritten) keeps what it gave before
        for (const id of ids) next.add(id);
      }
    }
    ids = next;
    return ids;
  };
  return {
    has: (car) => current().has(car),
    ids: () => [...current()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
  };
}

/** The car a message is about: its topic's id for `car/<id>/…`, the `car` field of the recorder's state. */
export function carOf(message: BusMessage): string | undefined {
  if (message.topic.scope === 'car') return message.topic.id;
  if (message.kind === 'recording') return message.header.car;
  return undefined;
}

/**
 * Wraps a bus handler so it only sees messages about known cars (and NUC messages about no car);
 * the others are dropped and counted as `unknown_car`.
 */
export function forKnownCars(known: KnownCars, counters: BusCounters, handler: (message: BusMessage) => void): (message: BusMessage) => void {
  return (message) => {
    const car = carOf(message);
    if (car !== undefined && !known.has(car)) {
      counters.drop('unknown_car');
      return;
    }
    handler(message);
  };
}
