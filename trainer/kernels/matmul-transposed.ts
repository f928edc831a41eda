/**
 * The wasm BatchMatMul / _FusedMatMul are 10-30x slower with transposeA/transposeB set (the
 * weight and input gradients of every dense layer) than on pre-transposed operands, so this
 * wrapper transposes explicitly and calls the backend's own kernel without the flags.
 */
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope } from './backend-ops.ts';

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export function matMulWithExplicitTranspose(backendName: string, native: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return native(args);
    const inputs = args.inputs as Record<string, TensorInfo>;
    const scope = new KernelScope(args.backend as KernelBackend, backendName);
    try {
      const a = inputs.a!;
      const b = inputs.b!;
      const newInputs = {
        ...inputs,
        a: attrs.transposeA ? scope.transpose(a, swapLastTwo(a.shape.length)) : a,
        b: attrs.transposeB ? scope.transpose(b, swapLastTwo(b.shape.length)) : b,
      };
      const newAttrs = { ...args.attrs, transposeA: false, transposeB: false } as NamedAttrMap;
      return native({ ...args, inputs: newInputs, attrs: newAttrs });
    } finally {
      scope.dispose();
    }
  };
}
