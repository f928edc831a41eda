/**
 * Drives the expert round a track the way the car is driven: commands at the control rate go
 * through the forward calibration into pulses, and the physics reads them back between commands.
 */
import { DirectPulses } from './direct-pulses.ts';
import { createExpert } from './expert.ts';
import type { ExpertOptions } from './expert.ts';
import type { Track } from './track.ts';
import type { DriveCalibration, DriveInput } from './vehicle.ts';
import { SimWorld } from './world.ts';
import type { SimTelemetry } from './world.ts';

export interface ExpertRunOptions {
  track: Track;
  laps: number;
  /** command rate, as the car's drive loop */
  controlHz?: number;
  /** physics sub-step */
  physicsDtS?: number;
  /** give up after this much simulated time (default: 30 s per lap) */
  maxSeconds?: number;
  calibration?: DriveCalibration;
  expert?: ExpertOptions;
  /** called with each command and the state it was decided on (e.g. to record training data) */
  onControl?: (telemetry: SimTelemetry, command: DriveInput) => void;
}

export interface ExpertRunResult {
  telemetry: SimTelemetry;
  /** mean |cross-track error| over every control tick, metres */
  meanAbsCte: number;
  maxAbsCte: number;
}

export function runExpert(options: ExpertRunOptions): ExpertRunResult {
  const controlDt = 1 / (options.controlHz ?? 20);
  const pulses = new DirectPulses(options.calibration);
  const world = new SimWorld({
    track: options.track,
    pulses,
    ...(options.calibration ? { calibration: options.calibration } : {}),
    ...(options.expert?.vehicle ? { vehicle: options.expert.vehicle } : {}),
    maxSubstepS: options.physicsDtS ?? 0.005,
  });
  const expert = createExpert(options.track, options.expert);
  const maxSeconds = options.maxSeconds ?? 30 * options.laps;
  let telemetry = world.telemetry();
  let sumCte = 0;
  let maxCte = 0;
  let ticks = 0;
  while (telemetry.lap < options.laps && telemetry.t < maxSeconds) {
    const command = expert(telemetry);
    options.onControl?.(telemetry, command);
    pulses.drive(command);
    world.step(controlDt);
    telemetry = world.telemetry();
    const cte = Math.abs(telemetry.cte);
    sumCte += cte;
    maxCte = Math.max(maxCte, cte);
    ticks++;
  }
  return { telemetry, meanAbsCte: ticks ? sumCte / ticks : 0, maxAbsCte: maxCte };
}
