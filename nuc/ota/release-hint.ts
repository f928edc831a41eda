/**
 * The NUC's release hint (`nuc/ota/release`, ReleaseHeader): sent when the update repository changed,
 * so the cars poll at once, and when an operator lets a car reboot into its installed OS update
 * (`osReboot`: the cars whose agent waits for the operator). Every hint names every car still
 * allowed, so a car that missed one hears the next. The NUC proxy refuses hints closer together than
 * `bus.releaseHintIntervalMs`: hints asked for sooner are sent as one, once the interval has passed.
 */

export interface ReleaseHintFields {
  timestamp: number;
  osReboot?: string[];
}

export interface ReleaseHintOptions {
  /** publishes the hint on the bus */
  send: (fields: ReleaseHintFields) => void;
  /** the repository's timestamp.json version now (0 when there is none) */
  timestamp: () => number;
  /** the least time between two hints; a little more than the proxy's `bus.releaseHintIntervalMs` */
  minIntervalMs?: number;
  /** how long an operator's permission to reboot stays in the hints unless the car moves on; default 10 minutes */
  rebootPermitMs?: number;
  now?: () => number;
}

/** The ReleaseHeader's limit on `osReboot`. */
export const MAX_OS_REBOOT_CARS = 64;

export class ReleaseHints {
  /** car → when the operator allowed it */
  private readonly reboots = new Map<string, number>();
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private latestTimestamp = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly minIntervalMs: number;
  private readonly permitMs: number;
  private readonly now: () => number;
  /** hints sent */
  sent = 0;

  constructor(private readonly options: ReleaseHintOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 1100;
    this.permitMs = options.rebootPermitMs ?? 600_000;
    this.now = options.now ?? Date.now;
  }

  /** The repository changed (a publish re-signed timestamp.json): hint the cars. */
  published(timestamp: number): void {
    this.latestTimestamp = Math.max(this.latestTimestamp, timestamp);
    this.schedule();
  }

  /** Lets `car` reboot into its installed OS update: the next hint names it. Returns the cars it will name. */
  allowOsReboot(car: string): string[] {
    this.reboots.delete(car);
    this.reboots.set(car, this.now());
    // the oldest permission gives way (a Map keeps insertion order)
    while (this.reboots.size > MAX_OS_REBOOT_CARS) this.reboots.delete(this.reboots.keys().next().value!);
    this.schedule();
    return this.osReboot();
  }

  /** What the car's agent reports of its OS update: once it no longer waits for a reboot, its permission is used up. */
  osUpdateSeen(car: string, outcome: string | undefined): void {
    if (outcome !== 'pending-reboot') this.reboots.delete(car);
  }

  /** The cars the next hint names, sorted. */
  osReboot(): string[] {
    const now = this.now();
    for (const [car, at] of this.reboots) if (now - at > this.permitMs) this.reboots.delete(car);
    return [...this.reboots.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return; // the hint already waiting will carry this too
    const wait = this.lastSentAt + this.minIntervalMs - this.now();
    if (wait <= 0) return this.sendNow();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendNow();
    }, wait);
    this.timer.unref();
  }

  private sendNow(): void {
    this.lastSentAt = this.now();
    const cars = this.osReboot();
    this.sent++;
    this.options.send({ timestamp: Math.max(this.latestTimestamp, this.options.timestamp()), ...(cars.length > 0 ? { osReboot: cars } : {}) });
  }
}
