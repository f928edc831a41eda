import { describe, expect, it } from 'vitest';
import { DEFAULT_STEERING, DEFAULT_THROTTLE } from '../runtime/index.ts';
import { DirectPulses } from './direct-pulses.ts';
import { DEFAULT_VEHICLE, readDriveInput, stepVehicle } from './vehicle.ts';
import type { DriveCalibration, DriveInput, VehicleState } from './vehicle.ts';

const calibration: DriveCalibration = { steering: DEFAULT_STEERING, throttle: DEFAULT_THROTTLE };

/** Drives for `seconds` with the command going through the forward calibration into pulses and back. */
function drive(command: DriveInput, seconds: number, actuatorCalibration = calibration): VehicleState {
  const pulses = new DirectPulses(actuatorCalibration);
  pulses.drive(command);
  let state: VehicleState = { x: 0, y: 0, heading: 0, speed: 0 };
  for (let t = 0; t < seconds; t += 0.005) state = stepVehicle(state, readDriveInput(pulses, calibration), 0.005);
  return state;
}

describe('vehicle through the calibration', () => {
  it('reads back the commanded angle and throttle from the pulse widths', () => {
    const pulses = new DirectPulses(calibration, 60);
    pulses.drive({ angle: 0.5, throttle: -0.4 });
    const read = readDriveInput(pulses, calibration);
    expect(read.angle).toBeCloseTo(0.5, 1);
    expect(read.throttle).toBeCloseTo(-0.4, 1);
  });

  it('goes straight at centred steering', () => {
    const end = drive({ angle: 0, throttle: 0.5 }, 3);
    expect(end.x).toBeGreaterThan(3);
    expect(Math.abs(end.y)).toBeLessThan(0.05);
    expect(Math.abs(end.heading)).toBeLessThan(0.02);
  });

  it('turns right (clockwise) for angle +1 and left for angle −1', () => {
    const right = drive({ angle: 1, throttle: 0.3 }, 0.8);
    expect(right.heading).toBeLessThan(-0.3);
    expect(right.y).toBeLessThan(-0.05);
    const left = drive({ angle: -1, throttle: 0.3 }, 0.8);
    expect(left.heading).toBeGreaterThan(0.3);
    expect(left.y).toBeGreaterThan(0.05);
  });

  it('drives crooked when the actuator\'s calibration disagrees with the car', () => {
    // Centre of the servo shifted by 20 counts: the actuator believes it sends "straight".
    const skewed: DriveCalibration = { ...calibration, steering: { ...DEFAULT_STEERING, leftCount: 480, rightCount: 310 } };
    const end = drive({ angle: 0, throttle: 0.5 }, 3, skewed);
    expect(Math.abs(end.heading)).toBeGreaterThan(0.3);
  });

  it('treats silent channels (chip asleep) as no throttle and wheels straight', () => {
    const pulses = new DirectPulses(calibration);
    pulses.drive({ angle: 1, throttle: 1 });
    pulses.off();
    expect(readDriveInput(pulses, calibration)).toEqual({ angle: 0, throttle: 0 });
    let state: VehicleState = { x: 0, y: 0, heading: 0, speed: 2 };
    for (let i = 0; i < 1000; i++) state = stepVehicle(state, readDriveInput(pulses, calibration), 0.01);
    expect(state.speed).toBeLessThan(0.05);
    expect(Math.abs(state.heading)).toBeLessThan(1e-9);
  });

  it('approaches top speed, brakes, and reverses', () => {
    const fast = drive({ angle: 0, throttle: 1 }, 5);
    expect(fast.speed).toBeGreaterThan(DEFAULT_VEHICLE.topSpeed * 0.95);
    expect(fast.speed).toBeLessThanOrEqual(DEFAULT_VEHICLE.topSpeed);
    let state = fast;
    for (let t = 0; t < 0.5; t += 0.01) state = stepVehicle(state, { angle: 0, throttle: -1 }, 0.01);
    expect(state.speed).toBeLessThan(0.5);
    const back = drive({ angle: 0, throttle: -0.5 }, 3);
    expect(back.speed).toBeLessThan(-0.5);
    expect(back.x).toBeLessThan(-1);
  });

  it('ignores non-finite commands', () => {
    const state = stepVehicle({ x: 0, y: 0, heading: 0, speed: 1 }, { angle: NaN, throttle: Infinity }, 0.1);
    expect(Number.isFinite(state.x) && Number.isFinite(state.speed)).toBe(true);
    expect(state.heading).toBe(0);
  });
});
