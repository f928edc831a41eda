/**
 * The car's own calibration, saved from the dashboard's calibration page into the car's data
 * directory (`<dataDir>/car/<id>/calibration.json`). The actuator loads it in preference to the
 * configured counts; the channels stay the configuration's (they are wiring, not calibration).
 */
import path from 'node:path';
import { writeFileAtomic } from '../../runtime/index.ts';
import { CalibrationError, validateSteering, validateThrottle, type SteeringCalibration, type ThrottleCalibration } from '../../runtime/index.ts';
import { readTextIfExists } from './read-if-exists.ts';

export interface CalibrationCounts {
  steering: { leftCount: number; rightCount: number };
  throttle: { forwardCount: number; stoppedCount: number; reverseCount: number };
}

export interface Calibration {
  steering: SteeringCalibration;
  throttle: ThrottleCalibration;
}

export function savedCalibrationFile(dataDir: string, carId: string): string {
  return path.join(dataDir, 'car', carId, 'calibration.json');
}

/** The counts on the configured channels, validated (a CalibrationError names the field). */
export function applyCounts(channels: Calibration, counts: CalibrationCounts): Calibration {
  return {
    steering: validateSteering({ channel: channels.steering.channel, leftCount: counts.steering.leftCount, rightCount: counts.steering.rightCount }),
    throttle: validateThrottle({
      channel: channels.throttle.channel,
      forwardCount: counts.throttle.forwardCount,
      stoppedCount: counts.throttle.stoppedCount,
      reverseCount: counts.throttle.reverseCount,
    }),
  };
}

function countsOf(raw: unknown, file: string): CalibrationCounts {
  const record = (value: unknown, where: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CalibrationError(where, `must be an object in ${file}`);
    return value as Record<string, unknown>;
  };
  const root = record(raw, '(root)');
  const steering = record(root.steering, 'steering');
  const throttle = record(root.throttle, 'throttle');
  const count = (value: unknown, where: string): number => {
    if (typeof value !== 'number') throw new CalibrationError(where, `must be a count in ${file}`);
    return value;
  };
  return {
    steering: { leftCount: count(steering.leftCount, 'steering.leftCount'), rightCount: count(steering.rightCount, 'steering.rightCount') },
    throttle: {
      forwardCount: count(throttle.forwardCount, 'throttle.forwardCount'),
      stoppedCount: count(throttle.stoppedCount, 'throttle.stoppedCount'),
      reverseCount: count(throttle.reverseCount, 'throttle.reverseCount'),
    },
  };
}

/** The saved calibration on the configured channels, or undefined when none was saved; a bad file throws a CalibrationError. */
export async function loadSavedCalibration(file: string, configured: Calibration): Promise<Calibration | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CalibrationError('(root)', `${file} is not JSON`);
  }
  return applyCounts(configured, countsOf(raw, file));
}

/** Validates and saves; returns the calibration now in force. */
export async function saveCalibration(file: string, configured: Calibration, counts: CalibrationCounts, now = new Date()): Promise<Calibration> {
  const calibration = applyCounts(configured, counts);
  await writeFileAtomic(file, `${JSON.stringify({ ...counts, savedAt: now.toISOString() }, null, 2)}\n`);
  return calibration;
}
