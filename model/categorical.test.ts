import { describe, expect, it } from 'vitest';
import { ANGLE_BINNING, binIndex, binValue, categoricalThrottleRange, roundHalfEven, throttleBinning, unbin, writeOneHot } from './categorical.ts';

/*
 * Expected values derived from Donkeycar's definitions (donkeycar/utils.py, at autorope/donkeycar
 * cde8bbe9):
 *
 *   def linear_bin(a, N=15, offset=1, R=2.0):
 *       a = a + offset
 *       b = round(a / (R / (N - offset)))
 *       arr = np.zeros(N); b = clamp(b, 0, N - 1); arr[int(b)] = 1
 *
 *   def linear_unbin(arr, N=15, offset=-1, R=2.0):
 *       b = np.argmax(arr)
 *       a = b * (R / (N + offset)) + offset
 *
 * and KerasCategorical (donkeycar/parts/keras.py): the angle with the defaults, the throttle with
 * linear_bin(throttle, N=20, offset=0.0, R=throttle_range) and throttle_range 0.5. Each row was
 * computed with CPython 3 (its round() sends halves to the even neighbour).
 */
const ANGLE_BINS: [number, number][] = [
  [-1.5, 0],
  [-1, 0],
  [-0.9, 1], // (−0.9 + 1) / (2/14) = 0.6999…
  [-0.5, 4], // 3.5 → 4 (even)
  [-1 / 7, 6],
  [-0.0714285714285714, 7], // 6.500000000000001 → 7
  [0, 7],
  [0.05, 7], // 7.3500000000000005
  [0.0714285714285714, 8], // 7.5 → 8 (even)
  [0.1, 8],
  [0.5, 10], // 10.5 → 10 (even; half-up would say 11)
  [0.75, 12], // 12.25
  [1, 14],
  [1.2, 14], // 15.4, clamped
];

const THROTTLE_BINS: [number, number][] = [
  [-0.2, 0], // −8, clamped
  [0, 0],
  [0.0125, 0], // 0.5 → 0 (even; half-up would say 1)
  [0.0375, 1], // 1.4999999999999998
  [0.05, 2],
  [0.1, 4],
  [0.3, 12], // 11.999999999999998
  [0.4875, 19], // 19.5 → 20 (even), clamped to 19
  [0.49, 19],
  [0.5, 19], // 20, clamped
  [0.9, 19],
];

/** linear_unbin of each one-hot bin, as CPython prints them. */
const ANGLE_VALUES = [-1.0, -0.8571428571428572, -0.7142857142857143, -0.5714285714285714, -0.4285714285714286, -0.2857142857142858, -0.1428571428571429, 0.0, 0.1428571428571428, 0.2857142857142856, 0.4285714285714284, 0.5714285714285714, 0.7142857142857142, 0.857142857142857, 1.0];
const THROTTLE_VALUES = [0.0, 0.025, 0.05, 0.07500000000000001, 0.1, 0.125, 0.15000000000000002, 0.17500000000000002, 0.2, 0.225, 0.25, 0.275, 0.30000000000000004, 0.325, 0.35000000000000003, 0.375, 0.4, 0.42500000000000004, 0.45, 0.47500000000000003];

describe("Donkeycar's categorical binning", () => {
  it.each(ANGLE_BINS)('linear_bin puts angle %d in bin %d of 15', (angle, bin) => {
    expect(binIndex(angle, ANGLE_BINNING)).toBe(bin);
  });

  it.each(THROTTLE_BINS)('linear_bin puts throttle %d in bin %d of 20 (range 0.5)', (throttle, bin) => {
    expect(binIndex(throttle, throttleBinning(0.5))).toBe(bin);
  });

  it('linear_unbin gives the value of each bin exactly', () => {
    expect(ANGLE_VALUES.map((_, b) => binValue(b, ANGLE_BINNING))).toEqual(ANGLE_VALUES);
    expect(THROTTLE_VALUES.map((_, b) => binValue(b, throttleBinning(0.5)))).toEqual(THROTTLE_VALUES);
  });

  it('unbins a softmax by its largest bin, the first of equal ones as numpy.argmax', () => {
    const softmax = new Float32Array(15).fill(0.01);
    softmax[11] = 0.6;
    expect(unbin(softmax, ANGLE_BINNING)).toBe(ANGLE_VALUES[11]);
    expect(unbin(new Float32Array(20).fill(0.05), throttleBinning(0.5))).toBe(0);
    expect(() => unbin(new Float32Array(14), ANGLE_BINNING)).toThrow(/expected 15 bins, got 14/);
  });

  it('writes one-hot targets and round-trips every bin value', () => {
    const out = new Float32Array(30).fill(9);
    writeOneHot(0.5, ANGLE_BINNING, out, 15);
    expect(Array.from(out.slice(0, 15))).toEqual(Array(15).fill(9));
    expect(Array.from(out.slice(15))).toEqual(Array.from({ length: 15 }, (_, i) => (i === 10 ? 1 : 0)));
    for (const [b, value] of ANGLE_VALUES.entries()) expect(binIndex(value, ANGLE_BINNING)).toBe(b);
    for (const [b, value] of THROTTLE_VALUES.entries()) expect(binIndex(value, throttleBinning(0.5))).toBe(b);
  });

  it("rounds halves to even as Python's round()", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });

  it("keeps Donkeycar's throttle range 0.5 unless the recording goes faster, then covers its fastest throttle with the top bin", () => {
    expect(categoricalThrottleRange(0.3)).toBe(0.5);
    expect(categoricalThrottleRange(0.475)).toBe(0.5);
    expect(categoricalThrottleRange(0.71)).toBe(0.8);
    expect(binValue(19, throttleBinning(0.8))).toBeGreaterThanOrEqual(0.71);
    expect(categoricalThrottleRange(1)).toBe(1.1);
  });
});
