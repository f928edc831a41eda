/**
 * What the NUC knows about every running service and car, from the metrics and telemetry messages
 * on its bus. Pure: fed messages, asked questions; the clock is passed in. Headers are kept as
 * copies of their named fields, and everything here is bounded: cars come only through the
 * known-car filter, services are capped, and both are forgotten once silent (`forgetSilent`).
 */
import type { BusMessage, HeaderOf } from '../../protocol/index.ts';
import { agentFields, metricsFields, telemetryFields } from './named-fields.ts';

/** services reporting at once; a flood of made-up service names cannot grow the map past this */
export const MAX_SERVICES = 512;

export interface ServiceReport {
  scope: 'car' | 'nuc';
  /** car id, or the NUC service name */
  id: string;
  receivedAt: number;
  metrics: HeaderOf<'metrics'>;
}

export interface LiveCar {
  id: string;
  lastSeen: number;
  telemetry?: HeaderOf<'telemetry'>;
  frames: number;
  /** composited driver's views the NUC's compositor made for this car */
  views: number;
  lastFrame?: { seq: number; ts: number; width: number; height: number };
  agent?: HeaderOf<'agent'>;
}

/** A car as the cars list shows it: its state and how long ago it was last heard. */
export type CarSummary = LiveCar & { lastSeenMsAgo: number };

export class FleetState {
  private readonly services = new Map<string, ServiceReport>();
  private readonly cars = new Map<string, LiveCar>();

  ingest(message: BusMessage, now = Date.now()): void {
    const { scope, id } = message.topic;
    if (message.kind === 'metrics') {
      const metrics = metricsFields(message.header);
      const key = `${scope}/${id}/${metrics.service}`;
      if (this.services.has(key) || this.services.size < MAX_SERVICES) this.services.set(key, { scope, id, receivedAt: now, metrics });
    }
    // Control goes to a car, so it says nothing about whether the car is there.
    if (scope !== 'car' || message.kind === 'control') return;
    const car = this.car(id, now);
    if (message.kind === 'telemetry') car.telemetry = telemetryFields(message.header);
    if (message.kind === 'agent') car.agent = agentFields(message.header);
    if (message.kind === 'frame') {
      const { seq, ts, width, height } = message.header;
      car.frames++;
      car.lastFrame = { seq, ts, width, height };
    }
    if (message.kind === 'view') car.views++;
  }

  private car(id: string, now: number): LiveCar {
    let car = this.cars.get(id);
    if (!car) {
      car = { id, lastSeen: now, frames: 0, views: 0 };
      this.cars.set(id, car);
    }
    car.lastSeen = now;
    return car;
  }

  /** Forgets cars and services silent for longer than `maxSilentMs`; returns the cars forgotten. */
  forgetSilent(now: number, maxSilentMs: number): string[] {
    const forgotten: string[] = [];
    for (const [id, car] of this.cars) {
      if (now - car.lastSeen <= maxSilentMs) continue;
      this.cars.delete(id);
      forgotten.push(id);
    }
    for (const [key, report] of this.services) if (now - report.receivedAt > maxSilentMs) this.services.delete(key);
    return forgotten;
  }

  hasCar(id: string): boolean {
    return this.cars.has(id);
  }

  serviceReports(): ServiceReport[] {
    return [...this.services.values()];
  }

  carStates(): LiveCar[] {
    return [...this.cars.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  carSummaries(now: number): CarSummary[] {
    return this.carStates().map((car) => ({ ...car, lastSeenMsAgo: now - car.lastSeen }));
  }

  /** A service is up while its metrics keep arriving (three missed intervals means down). */
  isUp(report: ServiceReport, now: number, intervalMs: number): boolean {
    return now - report.receivedAt <= 3 * intervalMs;
  }
}
