/** The backend for training: the model's choice (model/), plus the gradient kernels wasm lacks. */
import { selectBackend, type BackendInfo, type BackendLog, type BackendName } from '../model/index.ts';
import { FastDropout } from './fast-dropout.ts';
import { registerWasmTrainingKernels } from './kernels/index.ts';

const trainerLog: BackendLog = (message) => process.stderr.write(`[trainer] ${message}\n`);

/** As `selectBackend` (once per process), with the wasm training kernels registered when the backend is wasm. */
export async function selectTrainingBackend(preferred?: BackendName, log: BackendLog = trainerLog): Promise<BackendInfo> {
  const info = await selectBackend(preferred, log);
  if (info.name === 'wasm') registerWasmTrainingKernels('wasm');
  // wasm copies a tensor's values into its heap when the tensor is made
  FastDropout.reuseMasks = info.name === 'wasm';
  return info;
}
