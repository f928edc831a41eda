/**
 * Registers the gradient kernels the wasm backend lacks (Conv2DBackpropFilter) or has only in a
 * slow direct form (Conv2DBackpropInput), both expressed through its fast XNNPACK conv2d, and
 * makes its transposed matrix products (dense-layer gradients) take the fast path.
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs';
import { conv2dBackpropFilterAsConv } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputAsConv } from './conv2d-backprop-input.ts';
import { matMulWithExplicitTranspose } from './matmul-transposed.ts';

const registered = new Set<string>();

/** Idempotent; call after the backend package is imported (it registers its own kernels then). */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  if (registered.has(backendName)) return;
  const nativeInput = getKernel('Conv2DBackpropInput', backendName);
  if (nativeInput) unregisterKernel('Conv2DBackpropInput', backendName);
  registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName,
    kernelFunc: conv2dBackpropInputAsConv(backendName, nativeInput?.kernelFunc),
  });
  if (getKernel('Conv2DBackpropFilter', backendName)) unregisterKernel('Conv2DBackpropFilter', backendName);
  registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: conv2dBackpropFilterAsConv(backendName) });
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const native = getKernel(kernelName, backendName);
    if (!native) continue;
    unregisterKernel(kernelName, backendName);
    registerKernel({ ...native, kernelFunc: matMulWithExplicitTranspose(backendName, native.kernelFunc) });
  }
  registered.add(backendName);
}
