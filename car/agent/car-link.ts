/**
 * The agent's view of the car over the car-local bus: the actuator's `applied` messages (throttle,
 * the generation it follows), the pilot's telemetry (speed, model), the NUC's hint that the update
 * repository changed (passed down by the uplink), the services' metrics (which processes are
 * alive on the bus), and the agent's own reports on `car/<id>/agent`, which the actuator follows for
 * its active generation.
 */
import { BusPublisher, BusSubscriber, carTopic, nucTopic, type BusEndpoints, type BusMessage } from '../../protocol/index.ts';
import { atRest, type AgentReport, type CarMotion } from './executor.ts';

/** Pids remembered as heard (every service restart adds one). */
const HEARD_PIDS_KEPT = 256;

export interface CarSnapshot {
  applied?: { at: number; throttle: number; activeGen?: number };
  telemetry?: { at: number; speed?: number; model: string };
}

export class CarLink {
  readonly snapshot: CarSnapshot = {};
  private readonly waiters = new Set<() => void>();
  private readonly hintListeners = new Set<() => void>();
  /** the pids heard publishing metrics, and who waits to hear one */
  private readonly heardPids = new Set<number>();
  private readonly pidWaiters = new Map<number, Set<() => void>>();
  /** the last time the car was seen moving (or when the link started, before any message) */
  private lastMovingAt = Date.now();
  private sentReports = 0;

  private constructor(
    private readonly subscriber: BusSubscriber,
    private readonly publisher: BusPublisher,
    private readonly carId: string,
  ) {
    subscriber.on((message) => this.observe(message));
  }

  static connect(bus: BusEndpoints, carId: string): CarLink {
    const subscriber = BusSubscriber.connect(bus, {
      topics: [carTopic(carId, 'applied'), carTopic(carId, 'telemetry'), carTopic(carId, 'metrics'), nucTopic('ota', 'release')],
    });
    return new CarLink(subscriber, BusPublisher.connect(bus), carId);
  }

  get reportsSent(): number {
    return this.sentReports;
  }

  /** speed from telemetry (the simulator's pose), throttle as the actuator last applied it, and how long both have been at rest */
  carState(): CarMotion {
    const speed = Math.abs(this.snapshot.telemetry?.speed ?? 0);
    const throttle = this.snapshot.applied?.throttle ?? 0;
    return { speed, throttle, stoppedForMs: atRest(speed, throttle) ? Date.now() - this.lastMovingAt : 0 };
  }

  report(report: AgentReport & { gen: number; version: number; os?: string }): void {
    this.sentReports++;
    void this.publisher.send(carTopic(this.carId, 'agent'), report);
  }

  /** Calls `listener` on each hint that the update repository changed (a reason to poll now, nothing to trust). */
  onReleaseHint(listener: () => void): void {
    this.hintListeners.add(listener);
  }

  /** Resolves once a service process with this pid has published its metrics on the car-local bus. */
  heardFrom(pid: number): Promise<void> {
    if (this.heardPids.has(pid)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.pidWaiters.get(pid) ?? new Set();
      waiting.add(resolve);
      this.pidWaiters.set(pid, waiting);
    });
  }

  /** Resolves with true once `condition` holds for the newest observations, false after `timeoutMs`. */
  until(condition: (snapshot: CarSnapshot) => boolean, timeoutMs: number): Promise<boolean> {
    if (condition(this.snapshot)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition(this.snapshot)) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    await this.subscriber.close();
    await this.publisher.close();
  }

  private observe(message: BusMessage): void {
    if (message.kind === 'release') {
      for (const listener of this.hintListeners) listener();
      return;
    }
    if (message.kind === 'metrics') {
      const { pid } = message.header;
      if (this.heardPids.has(pid)) return;
      this.heardPids.add(pid);
      if (this.heardPids.size > HEARD_PIDS_KEPT) this.heardPids.delete(this.heardPids.values().next().value!);
      for (const resolve of this.pidWaiters.get(pid) ?? []) resolve();
      this.pidWaiters.delete(pid);
      return;
    }
    const now = Date.now();
    if (message.kind === 'applied') {
      const { header } = message;
      this.snapshot.applied = { at: now, throttle: header.throttle, ...(header.activeGen !== undefined ? { activeGen: header.activeGen } : {}) };
    } else if (message.kind === 'telemetry') {
      const { header } = message;
      this.snapshot.telemetry = { at: now, model: header.model, ...(header.speed !== undefined ? { speed: header.speed } : {}) };
    }
    // every message is a look at the car: a break in its rest starts the count again
    if (!atRest(this.snapshot.telemetry?.speed ?? 0, this.snapshot.applied?.throttle ?? 0)) this.lastMovingAt = now;
    for (const waiter of [...this.waiters]) waiter();
  }
}
