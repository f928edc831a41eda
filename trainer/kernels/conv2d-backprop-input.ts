/**
 * Conv2DBackpropInput as one forward conv2d plus DepthToSpace (sub-pixel decomposition).
 *
 * With u = h + padTop = s·a + r (r < s), the input gradient is
 *   dx[u] = Σ_k dy[a − k] · W[r + s·k],
 * a stride-1 correlation of dy with one sub-filter per phase r. Stacking the s² phase sub-filters
 * on the output-channel axis gives one conv (ceil(f/s)² taps instead of the f² of zero-stuffing
 * dy, so no multiplications by inserted zeros); one pass then interleaves the phases back into rows
 * and columns and drops the padding (the wasm DepthToSpace + Slice pair is several times slower
 * than the conv itself). Stride 1 is the special case of one phase.
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope } from './backend-ops.ts';
import { convGeometry, type PadAttr } from './conv-geometry.ts';

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: PadAttr;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * The phase filter F[mh, mw, o, (rh·s + rw)·C + c] = W[rh + s·(K−1−mh), rw + s·(K−1−mw), c, o]
 * (zero where the index runs past the filter): flipped, in/out swapped, split by phase.
 */
export function phaseFilter(w: Float32Array, shape: readonly number[], stride: number): { values: Float32Array; shape: number[] } {
  const [fh, fw, inC, outC] = shape as [number, number, number, number];
  const kh = Math.ceil(fh / stride);
  const kw = Math.ceil(fw / stride);
  const phases = stride * stride;
  const outDepth = phases * inC;
  const values = new Float32Array(kh * kw * outC * outDepth);
  for (let mh = 0; mh < kh; mh++) {
    for (let rh = 0; rh < stride; rh++) {
      const p = rh + stride * (kh - 1 - mh);
      if (p >= fh) continue;
      for (let mw = 0; mw < kw; mw++) {
        for (let rw = 0; rw < stride; rw++) {
          const q = rw + stride * (kw - 1 - mw);
          if (q >= fw) continue;
          for (let c = 0; c < inC; c++) {
            const wBase = ((p * fw + q) * inC + c) * outC;
            const fBase = (mh * kw + mw) * outC * outDepth + (rh * stride + rw) * inC + c;
            for (let o = 0; o < outC; o++) values[fBase + o * outDepth] = w[wBase + o]!;
          }
        }
      }
    }
  }
  return { values, shape: [kh, kw, outC, outDepth] };
}

/**
 * dx[b, h, w, c] = phased[b, ⌊(h+padTop)/s⌋, ⌊(w+padLeft)/s⌋, (((h+padTop) mod s)·s + (w+padLeft) mod s)·C + c]
 */
export function interleavePhases(
  phased: Float32Array,
  phasedShape: readonly number[],
  stride: number,
  padTop: number,
  padLeft: number,
  outShape: readonly number[],
): Float32Array {
  const [, rows, cols, depth] = phasedShape as [number, number, number, number];
  const [batch, height, width, channels] = outShape as [number, number, number, number];
  const out = new Float32Array(batch * height * width * channels);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < height; h++) {
      const u = h + padTop;
      const rowBase = (b * rows + Math.floor(u / stride)) * cols;
      const phaseRow = (u % stride) * stride;
      for (let w = 0; w < width; w++) {
        const v = w + padLeft;
        let i = (rowBase + Math.floor(v / stride)) * depth + (phaseRow + (v % stride)) * channels;
        for (let c = 0; c < channels; c++) out[o++] = phased[i++]!;
      }
    }
  }
  return out;
}

/** `fallback` handles what the decomposition does not (unequal strides): the backend's own kernel. */
export function conv2dBackpropInputAsConv(backendName: string, fallback?: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as BackpropInputAttrs;
    const g = convGeometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    if (g.strideHeight !== g.strideWidth) {
      if (fallback) return fallback(args);
      throw new Error(`Conv2DBackpropInput: unequal strides ${g.strideHeight}x${g.strideWidth} are not supported`);
    }
    const s = g.strideHeight;
    const kernelBackend = backend as KernelBackend;
    const scope = new KernelScope(kernelBackend, backendName);
    try {
      const w = kernelBackend.readSync(filter.dataId) as Float32Array;
      const phase = phaseFilter(w, filter.shape, s);
      const [kh, kw] = phase.shape as [number, number];
      const phaseFilterInfo = scope.constant(phase.shape, phase.values);
      // Phase-grid rows a ∈ [0, A) with s·A ≥ padTop + H; dy rows past A never contribute.
      const rows = Math.ceil((g.padTop + g.inHeight) / s);
      const cols = Math.ceil((g.padLeft + g.inWidth) / s);
      const dyTrimmed = scope.slice(dy, [0, 0, 0, 0], [g.batch, Math.min(g.outHeight, rows), Math.min(g.outWidth, cols), g.outChannels]);
      const pad = [
        [0, 0],
        [kh - 1, Math.max(rows - g.outHeight, 0)],
        [kw - 1, Math.max(cols - g.outWidth, 0)],
        [0, 0],
      ];
      const phased = scope.run('Conv2D', { x: dyTrimmed, filter: phaseFilterInfo }, {
        strides: [1, 1],
        pad,
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: undefined,
      } as unknown as NamedAttrMap);
      const outShape = [g.batch, g.inHeight, g.inWidth, g.inChannels];
      if (s === 1) return scope.keep(scope.slice(phased, [0, g.padTop, g.padLeft, 0], outShape));
      const values = kernelBackend.readSync(phased.dataId) as Float32Array;
      return scope.keep(scope.constant(outShape, interleavePhases(values, phased.shape, s, g.padTop, g.padLeft, outShape)));
    } finally {
      scope.dispose();
    }
  };
}
