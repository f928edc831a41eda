/**
 * How good is a pilot? Offline: the loss on held-out samples. Closed loop: the model drives the
 * simulated car round a track, seeing only the camera, with its commands going through the same
 * forward calibration → pulses → inverse calibration path as on the car; the expert's lap time on
 * the same track is the yardstick.
 *
 * The camera frame is handed to the model as raw RGB straight from the renderer, rendered at the
 * model's frame size: no JPEG round trip, so the model sees slightly cleaner pixels than the
 * recorded (JPEG) training frames.
 */
import * as tf from '@tensorflow/tfjs';
import { createRenderer, DirectPulses, loadTrack, runExpert, SimWorld, type SimTelemetry } from '../car/sim/index.ts';
import { croppedShape, frameToInput, inferenceModel, NO_CROP, PIXEL_NORMALIZATION, type InputSpec } from '../model/index.ts';
import { clampUnit } from '../runtime/index.ts';
import { batches, type Sample } from './dataset.ts';

export const EVAL_TRACKS = ['default', 'twisty'] as const;
export type EvalTrack = (typeof EVAL_TRACKS)[number];

export interface ClosedLoopOptions {
  model: tf.LayersModel;
  metadata: InputSpec;
  track: EvalTrack;
  laps: number;
  /** simulated seconds before giving up (default 30 per lap) */
  maxSeconds?: number;
  /** the model's throttle head, or a constant throttle in [-1, 1] */
  throttle?: 'model' | number;
  /** give up after this many simulated seconds continuously off the road (default 5) */
  maxOffTrackS?: number;
  /** command rate, as the car's drive loop (default 20 Hz) */
  controlHz?: number;
  /** seeds the ground texture */
  renderSeed?: number;
  /** called after every control tick */
  onTick?: (telemetry: SimTelemetry) => void;
}

export type EndReason = 'laps' | 'time' | 'off-track';

export interface ClosedLoopResult {
  track: EvalTrack;
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
  if (!(EVAL_TRACKS as readonly string[]).includes(options.track)) throw new Error(`track must be one of ${EVAL_TRACKS.join(', ')}, got ${options.track}`);
  if (!Number.isInteger(options.laps) || options.laps < 1) throw new Error(`laps must be a positive integer, got ${options.laps}`);
  if (options.maxSeconds !== undefined && !(options.maxSeconds > 0)) throw new Error(`maxSeconds must be positive, got ${options.maxSeconds}`);
  const t = options.throttle;
  if (t !== undefined && t !== 'model' && !(t >= -1 && t <= 1)) throw new Error(`throttle must be 'model' or a number in [-1, 1], got ${t}`);
}

/** Angle and throttle the model chooses for one input frame. */
function predict(model: tf.LayersModel, pixels: Float32Array, shape: [number, number, number]): [number, number] {
  const outputs = tf.tidy(() => {
    const out = model.predict(tf.tensor4d(pixels, [1, ...shape]));
    const [angle, throttle] = Array.isArray(out) ? out : [out, out];
    return [angle!.dataSync()[0]!, throttle!.dataSync()[0]!];
  });
  return [outputs[0]!, outputs[1]!];
}

export function evaluateClosedLoop(options: ClosedLoopOptions): ClosedLoopResult {
  checkOptions(options);
  const { metadata, laps } = options;
  // Shares the caller's weights; not disposed here (that would free them).
  const model = inferenceModel(options.model);
  const crop = metadata.crop ?? NO_CROP;
  const frameSize = metadata.frameSize;
  const shape = croppedShape(frameSize, crop);
  const maxSeconds = options.maxSeconds ?? 30 * laps;
  const maxOffTrackS = options.maxOffTrackS ?? 5;
  const controlDt = 1 / (options.controlHz ?? 20);
  const track = loadTrack(options.track);
  const renderer = createRenderer({ track, width: frameSize[1], height: frameSize[0], seed: options.renderSeed ?? 0 });
  const pulses = new DirectPulses();
  const world = new SimWorld({ track, pulses });

  let telemetry = world.telemetry();
  let sumCte = 0;
  let ticks = 0;
  let offSince: number | undefined;
  let endReason: EndReason = 'time';
  while (telemetry.t < maxSeconds) {
    if (telemetry.lap >= laps) {
      endReason = 'laps';
      break;
    }
    const input = frameToInput(renderer.render(world.pose), frameSize, crop, metadata.normalization ?? PIXEL_NORMALIZATION);
    const [angle, modelThrottle] = predict(model, input, shape);
    const throttle = options.throttle === undefined || options.throttle === 'model' ? modelThrottle : options.throttle;
    pulses.drive({ angle: toCommand(angle), throttle: toCommand(throttle) });
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
  if (telemetry.lap >= laps) endReason = 'laps';

  const expert = runExpert({ track, laps: 1, maxSeconds: 120 });
  return {
    track: options.track,
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

export interface ValidationLoss {
  /** sum of the two heads' MSE, as trained */
  loss: number;
  angleMse: number;
  throttleMse: number;
  samples: number;
}

/** Mean losses over the samples, weighted by batch size. */
export async function validationLoss(model: tf.LayersModel, samples: readonly Sample[], metadata: InputSpec, batchSize = 64): Promise<ValidationLoss> {
  if (samples.length === 0) throw new Error('validation loss needs at least one sample');
  const sums = [0, 0, 0];
  let count = 0;
  for await (const batch of batches(samples, { frameSize: metadata.frameSize, crop: metadata.crop, normalization: metadata.normalization, batchSize })) {
    try {
      const losses = model.evaluate(batch.xs, batch.ys, { batchSize: batch.size });
      const list = Array.isArray(losses) ? losses : [losses];
      const values = await Promise.all(list.map(async (l) => (await l.data())[0]!));
      tf.dispose(list);
      // tfjs 4 returns more scalars than metricsNames lists ([head0, total, head0, head1] for two
      // heads), so read the per-head losses from the end and add them up ourselves.
      const [angle, throttle] = values.slice(-2);
      if (values.length < 2 || angle === undefined || throttle === undefined) throw new Error(`model has ${values.length} loss outputs, expected one per head (angle, throttle)`);
      sums[0]! += (angle + throttle) * batch.size;
      sums[1]! += angle * batch.size;
      sums[2]! += throttle * batch.size;
      count += batch.size;
    } finally {
      tf.dispose([batch.xs, ...batch.ys]);
    }
  }
  return { loss: sums[0]! / count, angleMse: sums[1]! / count, throttleMse: sums[2]! / count, samples: count };
}
