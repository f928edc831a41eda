/**
 * The agent's view of the car over the car-local bus: the actuator's `applied` messages (throttle,
 * the generation it follows), the pilot's telemetry (speed, model), the NUC's hint that the update
 * repository changed (passed down by the uplink), the services' metrics (which processes are
 * alive on the bus), and the agent's own reports on `car/<id>/agent`, which the actuator follows for
 * its active generation.
 */
import { BusPublisher, BusSubscriber, carTopic, nucTopic, type BusEndpoints, type BusMessage, type HeaderOf } from '../../protocol/index.ts';
import { atRest, type AgentReport, type CarMotion } from './executor.ts';
import type { OsReport } from './os-update.ts';

/** Pids remembered as heard (every service restart adds one). */
const HEARD_PIDS_KEPT = 256;
/** The window over which the drive loop's telemetry rate is measured. */
const RATE_WINDOW_MS = 2000;
/** Steering or throttle beyond this in the driver's control is input (a neutral stream is none). */
const INPUT_THRESHOLD = 0.05;
/** The window over which the camera's frame rate is measured from its metrics. */
const FRAME_WINDOW_MS = 6000;

export interface CarSnapshot {
  applied?: { at: number; throttle: number; activeGen?: number };
  telemetry?: { at: number; speed?: number; model: string };
}

export class CarLink {
  readonly snapshot: CarSnapshot = {};
  private readonly waiters = new Set<() => void>();
  private readonly hintListeners = new Set<(hint: HeaderOf<'release'>) => void>();
  /** receive times of the pilot's telemetry within the rate window */
  private readonly telemetryTimes: number[] = [];
  /** the camera's frame count from its metrics, with when it was heard */
  private readonly frameSamples: { at: number; pid: number; count: number }[] = [];
  /** the last bus message of any kind this link heard, ms */
  private lastHeardAt = 0;
  /** the last driver control with steering or throttle off neutral (the link's start before any) */
  private lastInputAt = Date.now();
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
      topics: [carTopic(carId, 'applied'), carTopic(carId, 'telemetry'), carTopic(carId, 'metrics'), carTopic(carId, 'control'), nucTopic('ota', 'release')],
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

  /** How long the car has been at rest with no driver input (the safe moment for an OS reboot), ms. */
  restForMs(now = Date.now()): number {
    return Math.min(this.carState().stoppedForMs, Math.max(0, now - this.lastInputAt));
  }

  /** The pilot's drive loop rate as its telemetry shows it, Hz, over the last 2 s. */
  telemetryRate(now = Date.now()): number {
    while (this.telemetryTimes.length > 0 && this.telemetryTimes[0]! < now - RATE_WINDOW_MS) this.telemetryTimes.shift();
    return this.telemetryTimes.length / (RATE_WINDOW_MS / 1000);
  }

  /**
   * The camera's frame rate from its metrics (its frame loop's count) over the last few seconds, Hz;
   * undefined until two reports of one camera process were heard recently.
   */
  cameraFrameRate(now = Date.now()): number | undefined {
    const recent = this.frameSamples.filter((s) => s.at >= now - FRAME_WINDOW_MS);
    const last = recent.at(-1);
    const first = recent.find((s) => s.pid === last?.pid);
    if (!last || !first || last.at - first.at < 500) return undefined;
    return ((last.count - first.count) * 1000) / (last.at - first.at);
  }

  /** How long ago the link last heard anything on the car-local bus, ms (Infinity: never). */
  silentForMs(now = Date.now()): number {
    return this.lastHeardAt === 0 ? Number.POSITIVE_INFINITY : now - this.lastHeardAt;
  }

  report(report: AgentReport & OsReport & { gen: number; version: number }): void {
    this.sentReports++;
    void this.publisher.send(carTopic(this.carId, 'agent'), report);
  }

  /** Calls `listener` on each hint that the update repository changed (a reason to poll now, nothing to trust). */
  onReleaseHint(listener: (hint: HeaderOf<'release'>) => void): void {
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
    const now = Date.now();
    this.lastHeardAt = now;
    if (message.kind === 'release') {
      for (const listener of this.hintListeners) listener(message.header);
      return;
    }
    if (message.kind === 'control') {
      if (Math.abs(message.header.angle) > INPUT_THRESHOLD || Math.abs(message.header.throttle) > INPUT_THRESHOLD) this.lastInputAt = now;
      return;
    }
    if (message.kind === 'metrics') {
      const { pid } = message.header;
      const frames = message.header.service === 'camera' ? message.header.loops.frame_interval?.count : undefined;
      if (frames !== undefined) {
        this.frameSamples.push({ at: now, pid, count: frames });
        while (this.frameSamples.length > 0 && this.frameSamples[0]!.at < now - FRAME_WINDOW_MS) this.frameSamples.shift();
      }
      if (this.heardPids.has(pid)) return;
      this.heardPids.add(pid);
      if (this.heardPids.size > HEARD_PIDS_KEPT) this.heardPids.delete(this.heardPids.values().next().value!);
      for (const resolve of this.pidWaiters.get(pid) ?? []) resolve();
      this.pidWaiters.delete(pid);
      return;
    }
    if (message.kind === 'applied') {
      const { header } = message;
      this.snapshot.applied = { at: now, throttle: header.throttle, ...(header.activeGen !== undefined ? { activeGen: header.activeGen } : {}) };
    } else if (message.kind === 'telemetry') {
      const { header } = message;
      this.snapshot.telemetry = { at: now, model: header.model, ...(header.speed !== undefined ? { speed: header.speed } : {}) };
      this.telemetryTimes.push(now);
      if (this.telemetryTimes.length > 1000) this.telemetryTimes.shift();
    }
    // every message is a look at the car: a break in its rest starts the count again
    if (!atRest(this.snapshot.telemetry?.speed ?? 0, this.snapshot.applied?.throttle ?? 0)) this.lastMovingAt = now;
    for (const waiter of [...this.waiters]) waiter();
  }
}
