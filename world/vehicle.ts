/**
 * The car's physics: a kinematic bicycle whose inputs are the pulse widths read back from the
 * (emulated) PCA9685, turned into angle and throttle by the inverse of the calibration. A wrong
 * calibration therefore drives a crooked car, as it would on the real one.
 */
import { countToAngle, countToThrottle, microsToCount, type SteeringCalibration, type ThrottleCalibration } from '../runtime/index.ts';
import { clampUnit } from '../runtime/index.ts';
import type { Pose } from './track.ts';

/** What the physics reads from the PWM chip; the emulated PCA9685 exposes exactly this. */
export interface PulseSource {
  /** high time of the channel's pulse in microseconds; 0 when the channel is off or the chip sleeps */
  pulseMicros(channel: number): number;
  frequencyHz(): number;
}

export interface VehicleParams {
  wheelbaseM: number;
  /** steering lock at angle ±1 */
  maxSteerDeg: number;
  /** speed reached at full forward throttle, m/s */
  topSpeed: number;
  /** speed reached at full reverse throttle, m/s */
  reverseTopSpeed: number;
  /** time constant of the speed's response when driving towards the commanded speed */
  accelTauS: number;
  /** time constant when the command opposes the motion (braking) */
  brakeTauS: number;
  /** time constant of rolling to a stop at neutral throttle */
  coastTauS: number;
}

export const DEFAULT_VEHICLE: VehicleParams = {
  wheelbaseM: 0.26,
  maxSteerDeg: 25,
  topSpeed: 3.5,
  reverseTopSpeed: 1.5,
  accelTauS: 0.5,
  brakeTauS: 0.2,
  coastTauS: 1.5,
};

export interface VehicleState extends Pose {
  /** m/s along the heading; negative when reversing */
  speed: number;
}

/** Normalised commands as Donkeycar means them: angle +1 = full right, throttle +1 = full forward. */
export interface DriveInput {
  angle: number;
  throttle: number;
}

export interface DriveCalibration {
  steering: SteeringCalibration;
  throttle: ThrottleCalibration;
}

/** Reads the two channels and inverts the calibration; a silent channel means wheels straight, no throttle. */
export function readDriveInput(pulses: PulseSource, calibration: DriveCalibration): DriveInput {
  const frequency = pulses.frequencyHz();
  const steerMicros = pulses.pulseMicros(calibration.steering.channel);
  const throttleMicros = pulses.pulseMicros(calibration.throttle.channel);
  const usable = (micros: number) => Number.isFinite(micros) && micros > 0 && Number.isFinite(frequency) && frequency > 0;
  return {
    angle: usable(steerMicros) ? countToAngle(calibration.steering, microsToCount(steerMicros, frequency)) : 0,
    throttle: usable(throttleMicros) ? countToThrottle(calibration.throttle, microsToCount(throttleMicros, frequency)) : 0,
  };
}

/**
 * Advances the state by dt seconds. The reference point is the car's centre (rear axle half a
 * wheelbase behind), which gives the bicycle model's slip angle between heading and motion.
 */
export function stepVehicle(state: VehicleState, input: DriveInput, dt: number, params: VehicleParams = DEFAULT_VEHICLE): VehicleState {
  const throttle = clampUnit(input.throttle);
  const target = throttle >= 0 ? throttle * params.topSpeed : throttle * params.reverseTopSpeed;
  let tau = params.accelTauS;
  if (throttle === 0) tau = params.coastTauS;
  else if (state.speed !== 0 && Math.sign(target) !== Math.sign(state.speed)) tau = params.brakeTauS;
  // Exact solution of the first-order lag over dt, so large steps cannot overshoot.
  const speed = target + (state.speed - target) * Math.exp(-dt / tau);
  const mean = (state.speed + speed) / 2;
  // Positive steer (right) turns clockwise, i.e. reduces the mathematical heading.
  const steer = (-clampUnit(input.angle) * params.maxSteerDeg * Math.PI) / 180;
  const slip = Math.atan(Math.tan(steer) / 2);
  const yawRate = (mean * Math.cos(slip) * Math.tan(steer)) / params.wheelbaseM;
  const heading = state.heading + yawRate * dt;
  const midHeading = state.heading + (yawRate * dt) / 2 + slip;
  return {
    x: state.x + mean * Math.cos(midHeading) * dt,
    y: state.y + mean * Math.sin(midHeading) * dt,
    heading: Math.atan2(Math.sin(heading), Math.cos(heading)),
    speed,
  };
}


/** Turning radius of the car's centre at full lock, for sanity checks on tracks. */
export function minTurnRadius(params: VehicleParams = DEFAULT_VEHICLE): number {
  const steer = (params.maxSteerDeg * Math.PI) / 180;
  return params.wheelbaseM / (Math.cos(Math.atan(Math.tan(steer) / 2)) * Math.tan(steer));
}
