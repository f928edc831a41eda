/**
 * The expert driver: pure pursuit on the centerline with a speed plan from the curvature ahead.
 * It stands in for a human on the wheel and records clean laps as training data.
 */
import { clampUnit } from '../runtime/index.ts';
import type { Track } from './track.ts';
import { DEFAULT_VEHICLE } from './vehicle.ts';
import type { DriveInput, VehicleParams, VehicleState } from './vehicle.ts';

export interface ExpertOptions {
  /** the car being driven, so steering and speed match its lock and top speed */
  vehicle?: VehicleParams;
  /** cruising speed on straights, m/s */
  maxSpeed?: number;
  /** lateral acceleration allowed in corners, m/s² (sets the corner speed) */
  maxLateralAccel?: number;
  /** deceleration assumed when planning to slow for a corner, m/s² */
  brakingDecel?: number;
  /** pure-pursuit lookahead: minLookaheadM + lookaheadPerSpeedS × speed */
  minLookaheadM?: number;
  lookaheadPerSpeedS?: number;
  /** throttle per m/s of speed error, on top of the feed-forward throttle */
  speedGain?: number;
}

export type ExpertDriver = (state: VehicleState) => DriveInput;

/** Returns a stateless driver: the same car state always yields the same command. */
export function createExpert(track: Track, options: ExpertOptions = {}): ExpertDriver {
  const vehicle = options.vehicle ?? DEFAULT_VEHICLE;
  const maxSpeed = Math.min(options.maxSpeed ?? 2.5, vehicle.topSpeed);
  const maxLateral = options.maxLateralAccel ?? 3;
  const braking = options.brakingDecel ?? 3;
  const minLookahead = options.minLookaheadM ?? 0.45;
  const lookaheadPerSpeed = options.lookaheadPerSpeedS ?? 0.2;
  const speedGain = options.speedGain ?? 0.6;
  const maxSteer = (vehicle.maxSteerDeg * Math.PI) / 180;

  // The speed each point of the loop allows, looking ahead far enough to brake for what comes.
  const planStep = 0.1;
  const planPoints = Math.ceil(track.length / planStep);
  const cornerSpeed = new Float64Array(planPoints);
  for (let i = 0; i < planPoints; i++) {
    const curvature = Math.abs(track.curvatureAt(i * planStep));
    cornerSpeed[i] = Math.min(maxSpeed, Math.sqrt(maxLateral / Math.max(curvature, 1e-6)));
  }
  const plan = new Float64Array(planPoints);
  for (let i = 0; i < planPoints; i++) {
    let allowed = maxSpeed;
    for (let k = 0; k * planStep <= (maxSpeed * maxSpeed) / (2 * braking) + planStep; k++) {
      const corner = cornerSpeed[(i + k) % planPoints]!;
      allowed = Math.min(allowed, Math.sqrt(corner * corner + 2 * braking * k * planStep));
    }
    plan[i] = allowed;
  }

  return (state) => {
    const here = track.closest(state.x, state.y);
    const speed = Math.max(0, state.speed);
    const lookahead = minLookahead + lookaheadPerSpeed * speed;
    const target = track.pointAt(here.progress + lookahead);
    const dx = target.x - state.x;
    const dy = target.y - state.y;
    // Angle to the target from the heading, positive to the left.
    const alpha = Math.atan2(dy, dx) - state.heading;
    const distance = Math.max(Math.hypot(dx, dy), 1e-3);
    const curvature = (2 * Math.sin(alpha)) / distance;
    const steerLeft = Math.atan(curvature * vehicle.wheelbaseM);
    const targetSpeed = plan[Math.floor(here.progress / planStep) % planPoints]!;
    const feedForward = targetSpeed / vehicle.topSpeed;
    return {
      angle: clampUnit(-steerLeft / maxSteer),
      throttle: clampUnit(feedForward + speedGain * (targetSpeed - state.speed)),
    };
  };
}

