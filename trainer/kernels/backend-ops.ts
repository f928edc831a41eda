/**
 * Calls into kernels a backend already has, from inside another kernel. Kernels cannot use tf ops
 * on their own intermediates without leaking engine bookkeeping, so they call the sibling kernel
 * functions directly and free what they made.
 */
import { getKernel, type DataType, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

export class KernelScope {
  private readonly owned: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    private readonly backendName: string,
  ) {}

  /** Runs kernel `name` of this backend; the result is freed by `dispose()` unless `keep`-ed. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(name, this.backendName);
    if (!kernel) throw new Error(`backend '${this.backendName}' has no '${name}' kernel`);
    const result = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    const out = Array.isArray(result) ? result[0] : result;
    if (!out) throw new Error(`kernel '${name}' returned no output`);
    this.owned.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  constant(shape: number[], values: Float32Array, dtype: DataType = 'float32'): TensorInfo {
    const out: TensorInfo = { dataId: this.backend.write(values, shape, dtype), shape, dtype };
    this.owned.push(out);
    return out;
  }

  /** Excludes `x` from disposal: the kernel's output. */
  keep(x: TensorInfo): TensorInfo {
    const index = this.owned.indexOf(x);
    if (index >= 0) this.owned.splice(index, 1);
    return x;
  }

  dispose(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}
