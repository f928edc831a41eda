/** The backend for training: the model's choice (model/), plus the gradient kernels wasm lacks. */
import { selectBackend, type BackendInfo, type BackendLog, type BackendName } from '../model/index.ts';
import { registerWasmTrainingKernels } from './kernels/index.ts';

const trainerLog: BackendLog = (message) => process.stderr.write(`[trainer] ${message}\n`);

/** As `selectBackend` (once per process), with the wasm training kernels registered when the backend is wasm. */
export async function selectTrainingBackend(preferred?: BackendName, log: BackendLog = trainerLog): Promise<BackendInfo> {
  const info = await selectBackend(preferred, log);
  if (info.name === 'wasm') registerWasmTrainingKernels('wasm');
  return info;
}
