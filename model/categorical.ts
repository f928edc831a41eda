/**
 * Donkeycar's binning for the categorical model (donkeycar/utils.py `linear_bin` and
 * `linear_unbin`, used by KerasCategorical in donkeycar/parts/keras.py): a command value becomes the
 * index of one of `bins` bins, and a softmax over the bins becomes the value of its largest bin.
 *
 *   linear_bin(a, N, offset, R):   b = round((a + offset) / (R / (N - offset))), clamped to [0, N-1]
 *   linear_unbin(arr, N, -offset, R): argmax(arr) · (R / (N - offset)) - offset
 *
 * with Python's round (half to even). The angle uses N=15, offset 1, R=2 (bins over [-1, 1]); the
 * throttle N=20, offset 0, R = the throttle range (Donkeycar's default 0.5).
 */

export interface Binning {
  bins: number;
  /** added before binning and subtracted after: 1 centres [-1, 1] on [0, 2] */
  offset: number;
  /** the span of values the bins cover */
  range: number;
}

export const ANGLE_BINNING: Binning = { bins: 15, offset: 1, range: 2 };
/** Donkeycar's default throttle range; faster cars raise it (see categoricalThrottleRange). */
export const DONKEYCAR_THROTTLE_RANGE = 0.5;
export const THROTTLE_BINS = 20;

export function throttleBinning(range = DONKEYCAR_THROTTLE_RANGE): Binning {
  return { bins: THROTTLE_BINS, offset: 0, range };
}

/**
 * The throttle range a categorical model is trained with: Donkeycar's 0.5, unless the recorded
 * throttle goes higher (a faster car), then the smallest tenth whose top bin (19/20 of the range)
 * reaches the largest recorded throttle, so that bin is not a ceiling the car could never pass.
 */
export function categoricalThrottleRange(maxThrottle: number): number {
  const top = (THROTTLE_BINS - 1) / THROTTLE_BINS;
  if (!(maxThrottle > DONKEYCAR_THROTTLE_RANGE * top)) return DONKEYCAR_THROTTLE_RANGE;
  return Math.ceil((Math.min(1, maxThrottle) / top) * 10 - 1e-9) / 10;
}

/** Python 3's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function step(binning: Binning): number {
  return binning.range / (binning.bins - binning.offset);
}

/** linear_bin: the bin a value falls in. */
export function binIndex(value: number, binning: Binning): number {
  const b = roundHalfEven((value + binning.offset) / step(binning));
  return Math.min(binning.bins - 1, Math.max(0, b));
}

/** linear_unbin of a one-hot at `index`: the value the bin stands for. */
export function binValue(index: number, binning: Binning): number {
  return index * step(binning) - binning.offset;
}

/** linear_unbin: the value of the distribution's largest bin (the first, on a tie, as numpy's argmax). */
export function unbin(distribution: ArrayLike<number>, binning: Binning): number {
  if (distribution.length !== binning.bins) throw new Error(`expected ${binning.bins} bins, got ${distribution.length}`);
  let best = 0;
  for (let i = 1; i < distribution.length; i++) if (distribution[i]! > distribution[best]!) best = i;
  return binValue(best, binning);
}

/** Writes the one-hot of `value` into `out` at `offset` (a batch's target rows). */
export function writeOneHot(value: number, binning: Binning, out: Float32Array, offset = 0): void {
  out.fill(0, offset, offset + binning.bins);
  out[offset + binIndex(value, binning)] = 1;
}
