/**
 * A stand-in for the emulated PCA9685 when no bus is wired (tests, benchmarks, offline data
 * generation): it turns angle and throttle into pulse widths through the forward calibration,
 * exactly as the actuator would, so the world's inverse calibration is exercised end to end.
 */
import { angleToCount, countToMicros, DEFAULT_STEERING, DEFAULT_THROTTLE, throttleToCount } from '../runtime/index.ts';
import type { DriveCalibration, DriveInput, PulseSource } from './vehicle.ts';

export class DirectPulses implements PulseSource {
  private readonly micros = new Map<number, number>();

  constructor(
    private readonly calibration: DriveCalibration = { steering: DEFAULT_STEERING, throttle: DEFAULT_THROTTLE },
    private readonly frequency = 60,
  ) {}

  /** Sets both channels as the actuator would for this command. */
  drive(input: DriveInput): void {
    const { steering, throttle } = this.calibration;
    this.micros.set(steering.channel, countToMicros(angleToCount(steering, input.angle), this.frequency));
    this.micros.set(throttle.channel, countToMicros(throttleToCount(throttle, input.throttle), this.frequency));
  }

  /** Silences every channel, like a sleeping chip. */
  off(): void {
    this.micros.clear();
  }

  pulseMicros(channel: number): number {
    return this.micros.get(channel) ?? 0;
  }

  frequencyHz(): number {
    return this.frequency;
  }
}
