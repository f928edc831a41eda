/**
 * How a pilot drives: the model drives the simulated car round a track, seeing only the camera,
 * with its commands going through the same forward calibration → pulses → inverse calibration path
 * as on the car; the expert's lap time on the same track is the yardstick. A track is one of the
 * simulator's (`default`, `twisty`) or a track file in the simulator's format.
 *
 * The camera frame is handed to the model as raw RGB straight from the renderer, rendered at the
 * model's frame size, through the one preprocessing (model/ frameToInput) and the one way a model
 * decides (model/ ModelDriver): no JPEG round trip, so the model sees slightly cleaner pixels than
 * the recorded (JPEG) training frames.
 */
import type * as tf from '@tensorflow/tfjs';
import { createRenderer, DirectPulses, loadTrack, runExpert, SimWorld, type SimTelemetry, type Track } from '../world/index.ts';
import { frameToInput, ModelDriver, type ModelMetadata } from '../model/index.ts';
import { clampUnit } from '../runtime/index.ts';

/** The simulator's own tracks; any other track is a file path. */
export const EVAL_TRACKS = ['default', 'twisty'] as const;

export interface ClosedLoopOptions {
  model: tf.LayersModel;
  metadata: ModelMetadata;
  /** a simulator track name, or the path of a track file */
  track: string;
  laps: number;
  /** simulated seconds before giving up (default 30 per lap) */
  maxSeconds?: number;
  /** the model's throttle head, or a constant throttle in [-1, 1] */
  throttle?: 'model' | number;
  /** give up after this many simulated seconds continuously off the road (default 5) */
  maxOffTrackS?: number;
  /** command rate, as the car's drive loop (default 20 Hz) */
  controlHz?: number;
  /** seeds the ground texture: two runs with the same seed see the same world */
  renderSeed?: number;
  /** called after every control tick */
  onTick?: (telemetry: SimTelemetry) => void;
}

export type EndReason = 'laps' | 'time' | 'off-track';

export interface ClosedLoopResult {
  /** the track's name (a file's `name`, else its file name) */
  track: string;
  lapsAttempted: number;
  /** laps completed without leaving the road */
  lapsCompleted: number;
  /** laps completed, clean or not */
  lapsFinished: number;
  offTrackEvents: number;
  /** mean |cross-track error| over every control tick, metres */
  meanAbsCteM: number;
  lapTimesS: number[];
  /** the expert's time for one lap of the same track; null if it did not finish one */
  expertLapS: number | null;
  simulatedS: number;
  endReason: EndReason;
}

/** A model output → a command value: clamped to [-1, 1]; NaN (a broken model) becomes 0. */
export function toCommand(value: number): number {
  return clampUnit(value);
}

function checkOptions(options: ClosedLoopOptions): void {
  if (!Number.isInteger(options.laps) || options.laps < 1) throw new Error(`laps must be a positive integer, got ${options.laps}`);
  if (options.maxSeconds !== undefined && !(options.maxSeconds > 0)) throw new Error(`maxSeconds must be positive, got ${options.maxSeconds}`);
  const t = options.throttle;
  if (t !== undefined && t !== 'model' && !(t >= -1 && t <= 1)) throw new Error(`throttle must be 'model' or a number in [-1, 1], got ${t}`);
}

/** A simulator track or a track file; a TrackError names the file and the field that is wrong. */
export function evaluationTrack(nameOrFile: string): Track {
  return loadTrack(nameOrFile);
}

export function evaluateClosedLoop(options: ClosedLoopOptions): ClosedLoopResult {
  checkOptions(options);
  const { metadata, laps } = options;
  const track = evaluationTrack(options.track);
  // Shares the caller's weights; dispose() frees only the driver's own graph.
  const driver = new ModelDriver(options.model, metadata);
  const { frameSize, crop, normalization } = metadata;
  const maxSeconds = options.maxSeconds ?? 30 * laps;
  const maxOffTrackS = options.maxOffTrackS ?? 5;
  const controlDt = 1 / (options.controlHz ?? 20);
  const renderer = createRenderer({ track, width: frameSize[1], height: frameSize[0], seed: options.renderSeed ?? 0 });
  const pulses = new DirectPulses();
  const world = new SimWorld({ track, pulses });

  let telemetry = world.telemetry();
  let sumCte = 0;
  let ticks = 0;
  let offSince: number | undefined;
  let endReason: EndReason = 'time';
  try {
    while (telemetry.t < maxSeconds) {
      if (telemetry.lap >= laps) break;
      const command = driver.decideSync(frameToInput(renderer.render(world.pose), frameSize, crop, normalization));
      const throttle = options.throttle === undefined || options.throttle === 'model' ? command.throttle : options.throttle;
      pulses.drive({ angle: toCommand(command.angle), throttle: toCommand(throttle) });
      world.step(controlDt);
      telemetry = world.telemetry();
      sumCte += Math.abs(telemetry.cte);
      ticks++;
      options.onTick?.(telemetry);
      offSince = telemetry.offTrack ? (offSince ?? telemetry.t) : undefined;
      if (offSince !== undefined && telemetry.t - offSince >= maxOffTrackS) {
        endReason = 'off-track';
        break;
      }
    }
  } finally {
    driver.dispose();
  }
  if (telemetry.lap >= laps) endReason = 'laps';

  const expert = runExpert({ track, laps: 1, maxSeconds: 120 });
  return {
    track: track.name,
    lapsAttempted: laps,
    lapsCompleted: telemetry.cleanLaps,
    lapsFinished: telemetry.lap,
    offTrackEvents: telemetry.offTrackEvents,
    meanAbsCteM: ticks ? sumCte / ticks : 0,
    lapTimesS: [...telemetry.laps],
    expertLapS: expert.telemetry.laps[0] ?? null,
    simulatedS: telemetry.t,
    endReason,
  };
}
