/**
 * The driver's newest control (from `car/<id>/control`) and the flags it carries. Control older
 * than the timeout counts as gone: throttle 0, so a lost wheel or network never leaves throttle
 * applied. Age is measured on this machine's clock at receipt; the sender's `ts` is from another
 * machine's clock and is not trusted for this.
 */
import { clampUnit } from '../../runtime/index.ts';
import { isDriveMode, type DriveMode } from './modes.ts';

export interface ControlInput {
  angle: number;
  throttle: number;
  mode?: DriveMode;
  recording?: boolean;
  estop?: boolean;
}

export interface UserSteering {
  angle: number;
  throttle: number;
  /** false when no control arrived within the timeout (or ever): throttle is then 0 */
  fresh: boolean;
  /** ms since the newest control arrived; undefined before the first */
  ageMs: number | undefined;
}

export interface UserControlOptions {
  /** default 500 ms */
  timeoutMs?: number;
  initialMode?: DriveMode;
  /** monotonic ms */
  now?: () => number;
}

export const DEFAULT_USER_TIMEOUT_MS = 500;

export class UserControl {
  readonly timeoutMs: number;
  mode: DriveMode;
  recording = false;
  estop = false;
  /** controls accepted */
  received = 0;
  /** controls refused (non-finite angle or throttle, not an object) */
  rejected = 0;
  /** times the control went stale after having been fresh */
  lost = 0;
  private readonly now: () => number;
  private angle = 0;
  private throttle = 0;
  private receivedAt: number | undefined;
  private lossCounted = false;

  constructor(options: UserControlOptions = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`user control timeoutMs must be a positive number, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.mode = options.initialMode ?? 'user';
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes a control message; returns false (and counts it) if it cannot be used. */
  update(control: ControlInput, receivedAt: number = this.now()): boolean {
    if (typeof control !== 'object' || control === null || !Number.isFinite(control.angle) || !Number.isFinite(control.throttle)) {
      this.rejected++;
      return false;
    }
    if (this.receivedAt !== undefined && !this.lossCounted && receivedAt - this.receivedAt > this.timeoutMs) this.lost++;
    this.lossCounted = false;
    this.receivedAt = receivedAt;
    this.received++;
    this.angle = clampUnit(control.angle);
    this.throttle = clampUnit(control.throttle);
    // Flags are sticky: a message without them leaves them as they were.
    if (isDriveMode(control.mode)) this.mode = control.mode;
    if (typeof control.recording === 'boolean') this.recording = control.recording;
    if (typeof control.estop === 'boolean') this.estop = control.estop;
    return true;
  }

  /** The user's steering now: the newest control, or throttle 0 once it is stale. */
  steering(now: number = this.now()): UserSteering {
    if (this.receivedAt === undefined) return { angle: 0, throttle: 0, fresh: false, ageMs: undefined };
    const ageMs = Math.max(0, now - this.receivedAt);
    if (ageMs <= this.timeoutMs) return { angle: this.angle, throttle: this.throttle, fresh: true, ageMs };
    if (!this.lossCounted) {
      this.lossCounted = true;
      this.lost++;
    }
    // Keep the last steering angle (harmless at throttle 0); only throttle can run the car away.
    return { angle: this.angle, throttle: 0, fresh: false, ageMs };
  }
}
