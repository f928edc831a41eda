/**
 * Picks the fastest tfjs backend present: tfjs-node (native, optional dependency), else wasm
 * (XNNPACK, SIMD when the runtime validates it), else the plain JS cpu backend. Inference needs
 * nothing more; the trainer adds the gradient kernels wasm lacks (trainer/backend.ts).
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** wasm only: whether the SIMD binary was loaded */
  simd?: boolean;
  /** wasm only: worker threads in use (1: the Node build of tfjs-backend-wasm has no threads) */
  threads?: number;
}

export type BackendLog = (message: string) => void;
const defaultLog: BackendLog = (message) => process.stderr.write(`[tfjs] ${message}\n`);

let selected: Promise<BackendInfo> | undefined;

async function tryTfjsNode(log: BackendLog): Promise<boolean> {
  // A variable specifier keeps bundlers and tsc from requiring the optional package.
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
  } catch {
    log('@tensorflow/tfjs-node not installed');
    return false;
  }
  return tf.setBackend('tensorflow');
}

async function tryWasm(log: BackendLog): Promise<BackendInfo | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(`${dist}${path.sep}`);
    if (!(await tf.setBackend('wasm'))) return undefined;
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    // tfjs-backend-wasm disables threads under Node (tfjs issue 3830: its pthread workers are blob
    // URLs, which node:worker_threads rejects), so the wasm backend runs on one core here.
    const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) ? wasm.getThreadsCount() : 1;
    return { name: 'wasm', simd, threads };
  } catch (error) {
    log(`wasm backend unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

async function select(preferred: BackendName | undefined, log: BackendLog): Promise<BackendInfo> {
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : BACKEND_ORDER;
  for (const name of order) {
    if (name === 'tensorflow' && (await tryTfjsNode(log))) return { name };
    if (name === 'wasm') {
      const info = await tryWasm(log);
      if (info) return info;
    }
    if (name === 'cpu' && (await tf.setBackend('cpu'))) return { name };
  }
  throw new Error('no tfjs backend could be initialised (tried tensorflow, wasm, cpu)');
}

/**
 * Selects and initialises a backend once per process (later calls return the same answer).
 * `preferred` is tried first, then the usual order.
 */
export function selectBackend(preferred?: BackendName, log: BackendLog = defaultLog): Promise<BackendInfo> {
  selected ??= select(preferred, log).then(async (info) => {
    await tf.ready();
    const extra = info.name === 'wasm' ? ` (simd ${info.simd ? 'on' : 'off'}, threads ${info.threads})` : '';
    log(`tfjs backend: ${info.name}${extra}`);
    return info;
  });
  return selected;
}

/** Numeric id for benchmarks: 0 tfjs-node, 1 wasm, 2 cpu. */
export function backendId(name: BackendName): number {
  return BACKEND_ORDER.indexOf(name);
}
