/**
 * Steering servo and ESC outputs on a PCA9685, with Donkeycar's calibration. Writes only the
 * channels whose count changed, and serialises every operation so a stop() queued behind an
 * apply() is always the last word on the chip.
 */
import {
  CalibrationError,
  DEFAULT_STEERING,
  DEFAULT_THROTTLE,
  angleToCount,
  throttleToCount,
  validateSteering,
  validateThrottle,
  type SteeringCalibration,
  type ThrottleCalibration,
} from './calibration.ts';
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

export class DriveOutputs {
  readonly steering: SteeringCalibration;
  readonly throttle: ThrottleCalibration;
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
    this.steering = validateSteering({ ...steering });
    this.throttle = validateThrottle({ ...throttle });
    if (this.steering.channel === this.throttle.channel) {
      throw new CalibrationError('throttle.channel', `must differ from steering.channel (both ${this.throttle.channel})`);
    }
  }

  get state(): OutputsState {
    return this.current;
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

  /** All-stop: throttle to neutral, then every output off. Safe to call more than once. */
  stop(): Promise<void> {
    return this.serial(async () => {
      const wasArmed = this.current === 'armed';
      this.current = 'stopped';
      try {
        if (wasArmed) await this.chip.setCount(this.throttle.channel, this.throttle.stoppedCount);
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
    const throttleCount = throttleToCount(this.throttle, clampedThrottle);
    const steeringCount = angleToCount(this.steering, clampedAngle);
    const wrote = { steering: false, throttle: false };
    // Throttle first: when both change, the safety-relevant channel goes out first.
    if (this.written.throttle !== throttleCount) {
      this.written.throttle = undefined; // unknown until the write succeeds, so a failed one is retried
      await this.chip.setCount(this.throttle.channel, throttleCount);
      this.written.throttle = throttleCount;
      wrote.throttle = true;
    }
    if (this.written.steering !== steeringCount) {
      this.written.steering = undefined;
      await this.chip.setCount(this.steering.channel, steeringCount);
      this.written.steering = steeringCount;
      wrote.steering = true;
    }
    return { angle: clampedAngle, throttle: clampedThrottle, steeringCount, throttleCount, wrote };
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
