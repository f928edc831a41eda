/**
 * What the NUC knows about every running service and car, from the metrics and telemetry messages
 * on its bus. Pure: fed messages, asked questions; the clock is passed in.
 */
import type { BusMessage, HeaderOf } from '../../protocol/index.ts';

export interface ServiceReport {
  scope: 'car' | 'nuc';
  /** car id, or the NUC service name */
  id: string;
  receivedAt: number;
  metrics: HeaderOf<'metrics'>;
}

export interface CarState {
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
export type CarSummary = CarState & { lastSeenMsAgo: number };

export class FleetState {
  private readonly services = new Map<string, ServiceReport>();
  private readonly cars = new Map<string, CarState>();

  ingest(message: BusMessage, now = Date.now()): void {
    const { scope, id } = message.topic;
    if (message.kind === 'metrics') {
      const metrics = message.header;
      this.services.set(`${scope}/${id}/${metrics.service}`, { scope, id, receivedAt: now, metrics });
    }
    // Control goes to a car, so it says nothing about whether the car is there.
    if (scope !== 'car' || message.kind === 'control') return;
    const car = this.car(id, now);
    if (message.kind === 'telemetry') car.telemetry = message.header;
    if (message.kind === 'agent') car.agent = message.header;
    if (message.kind === 'frame') {
      const { seq, ts, width, height } = message.header;
      car.frames++;
      car.lastFrame = { seq, ts, width, height };
    }
    if (message.kind === 'view') car.views++;
  }

  private car(id: string, now: number): CarState {
    let car = this.cars.get(id);
    if (!car) {
      car = { id, lastSeen: now, frames: 0, views: 0 };
      this.cars.set(id, car);
    }
    car.lastSeen = now;
    return car;
  }

  serviceReports(): ServiceReport[] {
    return [...this.services.values()];
  }

  carStates(): CarState[] {
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
