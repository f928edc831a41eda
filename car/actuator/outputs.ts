/**
 * Steering servo and ESC outputs on a PCA9685, with Donkeycar's calibration. Writes only the
 * channels whose count changed, and serialises every operation so a stop() queued behind an
 * apply() is always the last word on the chip. Calibrating writes raw counts (`applyCounts`), and a
 * saved calibration replaces the running one (`recalibrate`).
 */
import {
  CalibrationError,
  DEFAULT_STEERING,
  DEFAULT_THROTTLE,
  PCA9685_MAX_COUNT,
  angleToCount,
  countToAngle,
  countToThrottle,
  throttleToCount,
  validateSteering,
  validateThrottle,
  type SteeringCalibration,
  type ThrottleCalibration,
} from '../../runtime/index.ts';
import { clampUnit } from '../../runtime/index.ts';
import type { Pca9685 } from './pca9685.ts';

export interface AppliedOutputs {
  /** the values after clamping to [-1, 1] (NaN → 0) */
  angle: number;
  throttle: number;
  steeringCount: number;
  throttleCount: number;
  /** which channels this call actually wrote */
  wrote: { steering: boolean; throttle: boolean };
}

export type OutputsState = 'idle' | 'armed' | 'stopped';

function checkCalibration(steering: SteeringCalibration, throttle: ThrottleCalibration): [SteeringCalibration, ThrottleCalibration] {
  const checked: [SteeringCalibration, ThrottleCalibration] = [validateSteering({ ...steering }), validateThrottle({ ...throttle })];
  if (steering.channel === throttle.channel) {
    throw new CalibrationError('throttle.channel', `must differ from steering.channel (both ${throttle.channel})`);
  }
  return checked;
}

function checkRawCount(field: string, count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > PCA9685_MAX_COUNT) throw new CalibrationError(field, `must be an integer count in 0..${PCA9685_MAX_COUNT}, got ${count}`);
}

export class DriveOutputs {
  private steeringCal: SteeringCalibration;
  private throttleCal: ThrottleCalibration;
  private written: { steering: number | undefined; throttle: number | undefined } = {
    steering: undefined,
    throttle: undefined,
  };
  private queue: Promise<unknown> = Promise.resolve();
  private current: OutputsState = 'idle';

  constructor(
    private readonly chip: Pca9685,
    steering: SteeringCalibration = DEFAULT_STEERING,
    throttle: ThrottleCalibration = DEFAULT_THROTTLE,
  ) {
    [this.steeringCal, this.throttleCal] = checkCalibration(steering, throttle);
  }

  get steering(): SteeringCalibration {
    return this.steeringCal;
  }

  get throttle(): ThrottleCalibration {
    return this.throttleCal;
  }

  get state(): OutputsState {
    return this.current;
  }

  /** Replaces the calibration (a newly saved one); the next apply uses it. Throws a CalibrationError and keeps the old one when invalid. */
  recalibrate(steering: SteeringCalibration, throttle: ThrottleCalibration): Promise<void> {
    return this.serial(async () => {
      [this.steeringCal, this.throttleCal] = checkCalibration(steering, throttle);
    });
  }

  /** Arms the ESC: throttle at neutral (first, the ESC must see neutral before anything else), steering centred. */
  start(): Promise<AppliedOutputs> {
    return this.serial(async () => {
      if (this.current === 'stopped') throw new Error('drive outputs were stopped; create new outputs to restart');
      this.written = { steering: undefined, throttle: undefined };
      const applied = await this.write(0, 0);
      this.current = 'armed';
      return applied;
    });
  }

  /** Clamps, converts and writes the channels whose count changed. */
  apply(angle: number, throttle: number): Promise<AppliedOutputs> {
    return this.serial(async () => {
      if (this.current !== 'armed') {
        throw new Error(
          this.current === 'idle' ? 'drive outputs not started: call start() to arm the ESC first' : 'drive outputs stopped',
        );
      }
      return this.write(angle, throttle);
    });
  }

  /** Writes raw counts (calibrating); angle and throttle are reported as the calibration reads them. */
  applyCounts(steeringCount: number, throttleCount: number): Promise<AppliedOutputs> {
    return this.serial(async () => {
      checkRawCount('steeringCount', steeringCount);
      checkRawCount('throttleCount', throttleCount);
      if (this.current !== 'armed') throw new Error('drive outputs not armed');
      const wrote = await this.writeCounts(steeringCount, throttleCount);
      return { angle: countToAngle(this.steeringCal, steeringCount), throttle: countToThrottle(this.throttleCal, throttleCount), steeringCount, throttleCount, wrote };
    });
  }

  /** All-stop: throttle to neutral, then every output off. Safe to call more than once. */
  stop(): Promise<void> {
    return this.serial(async () => {
      const wasArmed = this.current === 'armed';
      this.current = 'stopped';
      try {
        if (wasArmed) await this.chip.setCount(this.throttleCal.channel, this.throttleCal.stoppedCount);
      } finally {
        // Even when the neutral write failed, try to cut every output.
        await this.chip.allOff();
        this.written = { steering: undefined, throttle: undefined };
      }
    });
  }

  private async write(angle: number, throttle: number): Promise<AppliedOutputs> {
    const clampedAngle = clampUnit(angle);
    const clampedThrottle = clampUnit(throttle);
    const throttleCount = throttleToCount(this.throttleCal, clampedThrottle);
    const steeringCount = angleToCount(this.steeringCal, clampedAngle);
    const wrote = await this.writeCounts(steeringCount, throttleCount);
    return { angle: clampedAngle, throttle: clampedThrottle, steeringCount, throttleCount, wrote };
  }

  private async writeCounts(steeringCount: number, throttleCount: number): Promise<AppliedOutputs['wrote']> {
    const wrote = { steering: false, throttle: false };
    // Throttle first: when both change, the safety-relevant channel goes out first.
    if (this.written.throttle !== throttleCount) {
      this.written.throttle = undefined; // unknown until the write succeeds, so a failed one is retried
      await this.chip.setCount(this.throttleCal.channel, throttleCount);
      this.written.throttle = throttleCount;
      wrote.throttle = true;
    }
    if (this.written.steering !== steeringCount) {
      this.written.steering = undefined;
      await this.chip.setCount(this.steeringCal.channel, steeringCount);
      this.written.steering = steeringCount;
      wrote.steering = true;
    }
    return wrote;
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
