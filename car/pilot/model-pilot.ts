/**
 * A trained model as a pilot, of any kind (model/ ModelDriver feeds and reads each one). The model
 * is swapped between two frames: the new one is loaded and warmed up beside the running one, then
 * replaces it in one assignment, so inference never waits for a load and no frame is skipped. The
 * old model is disposed once no inference still uses it. A temporal model's state (a memory model's
 * last commands) belongs to the loaded model, so a swap starts the new one from a clean state.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { dropImageCaches } from '../image-memory.ts';
import { PilotError, type Pilot, type PilotInput, type PilotOutput } from './pilot.ts';
import { decodeFrame, loadModel, METADATA_FILE, MODEL_FILE, ModelDriver, selectBackend, type ModelMetadata } from '../../model/index.ts';

/** The part of a pino logger this module uses. */
export interface ModelPilotLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

const silentLog: ModelPilotLog = { info: () => {}, warn: () => {} };

export interface ModelPilot extends Pilot {
  readonly kind: 'model';
  /** the directory the running model was loaded from, symlinks resolved */
  readonly modelDir: string;
  /** Loads and warms up the model in `dir`, then makes it current (its state fresh); on failure the old one stays. */
  swap(dir: string): Promise<void>;
  /** the running model's metadata (kind, input, bins, memory) */
  readonly metadata: ModelMetadata;
  /**
   * Polls `dir` every `intervalMs` and swaps when it points elsewhere (a `current` symlink moved)
   * or its metadata.json changed (written last by saveModel, so it marks a complete model).
   * Returns a function that stops the polling; close() stops it too.
   */
  watch(intervalMs?: number): () => void;
  /** Stops watching and frees the model's tensors; infer rejects afterwards. */
  close(): Promise<void>;
}

/** A loaded model plus the bookkeeping that lets it be disposed only when idle. */
interface LoadedModel {
  readonly dir: string;
  /** runs the loaded model without its dropout layers, sharing its weights, and keeps its state */
  readonly driver: ModelDriver;
  /** the model as loaded; disposed with the driver (it owns the dropout layers the driver skips) */
  readonly loadedGraph: tf.LayersModel;
  readonly metadata: ModelMetadata;
  /** inferences currently using this model */
  users: number;
  retired: boolean;
}

/** True when `dir` is a directory holding a model.json (what `drive.pilot` may name). */
export async function isModelDir(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory() && (await fs.stat(path.join(dir, MODEL_FILE))).isFile();
  } catch {
    return false;
  }
}

/** The frame as the model's input: resized, cropped and normalised as its metadata says. */
async function frameInput(jpeg: Buffer, metadata: ModelMetadata): Promise<Float32Array> {
  try {
    return await decodeFrame(jpeg, metadata.frameSize, metadata.crop, metadata.normalization);
  } catch (error) {
    const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new PilotError(`cannot decode the camera frame (${jpeg.length} bytes): ${reason}`);
  }
}

async function predict(loaded: LoadedModel, input: Float32Array): Promise<PilotOutput> {
  try {
    return await loaded.driver.decide(input);
  } catch (error) {
    throw new PilotError(`model in ${loaded.dir}: ${(error as Error).message}`);
  }
}

async function load(dir: string): Promise<LoadedModel> {
  const resolved = await fs.realpath(dir).catch(() => {
    throw new PilotError(`model directory ${dir} does not exist`);
  });
  if (!(await isModelDir(resolved))) throw new PilotError(`${dir} is not a model directory (no ${MODEL_FILE})`);
  let loaded: LoadedModel;
  try {
    const { model, metadata } = await loadModel(resolved);
    // Dropout is the identity when driving; the driver's graph skips its per-frame kernels.
    loaded = { dir: resolved, driver: new ModelDriver(model, metadata), loadedGraph: model, metadata, users: 0, retired: false };
  } catch (error) {
    throw new PilotError(`cannot load the model in ${dir}: ${(error as Error).message}`);
  }
  try {
    // One prediction now: the first one compiles kernels and allocates, which must not cost a frame.
    const [height, width, channels] = loaded.metadata.inputShape;
    await predict(loaded, new Float32Array(height * width * channels));
    // the warm-up frame is not a frame the car drove on
    loaded.driver.reset();
  } catch (error) {
    disposeModel(loaded);
    throw error instanceof PilotError ? error : new PilotError(`the model in ${dir} failed its warm-up prediction: ${(error as Error).message}`);
  }
  return loaded;
}

function disposeModel(loaded: LoadedModel): void {
  loaded.driver.dispose();
  loaded.loadedGraph.dispose();
}

function release(loaded: LoadedModel): void {
  if (loaded.retired && loaded.users === 0) disposeModel(loaded);
}

async function watchSignature(dir: string): Promise<string | undefined> {
  try {
    const resolved = await fs.realpath(dir);
    const stat = await fs.stat(path.join(resolved, METADATA_FILE));
    return `${resolved}@${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

export async function createModelPilot(dir: string, log: ModelPilotLog = silentLog): Promise<ModelPilot> {
  // every frame is decoded once: libvips's cache of past operations only takes memory
  dropImageCaches();
  const backend = await selectBackend(undefined, (message) => log.info({}, message));
  let current = await load(dir);
  log.info({ dir: current.dir, backend: backend.name }, 'model pilot loaded');
  // Swaps run one after another, so two quick updates cannot interleave their loads.
  let swapping: Promise<void> = Promise.resolve();
  const stopWatchers = new Set<() => void>();
  let closed = false;

  const swap = (next: string): Promise<void> => {
    const run = swapping.then(async () => {
      if (closed) throw new PilotError('the model pilot is closed');
      const replacement = await load(next);
      if (closed) {
        disposeModel(replacement);
        throw new PilotError('the model pilot is closed');
      }
      const previous = current;
      current = replacement;
      previous.retired = true;
      release(previous);
      log.info({ from: previous.dir, to: replacement.dir }, 'model pilot swapped');
    });
    swapping = run.catch(() => {});
    return run;
  };

  return {
    kind: 'model',
    get name() {
      return `model:${path.basename(current.dir)}`;
    },
    get modelDir() {
      return current.dir;
    },
    get metadata() {
      return current.metadata;
    },
    async infer(input: PilotInput): Promise<PilotOutput> {
      if (closed) throw new PilotError('the model pilot is closed');
      // Pin the model for the whole inference: a swap during the decode must not dispose it.
      const loaded = current;
      loaded.users++;
      try {
        return await predict(loaded, await frameInput(input.frame.jpeg, loaded.metadata));
      } finally {
        loaded.users--;
        release(loaded);
      }
    },
    swap,
    watch(intervalMs = 1000) {
      let last: string | undefined;
      let busy = false;
      const first = watchSignature(dir).then((signature) => {
        last = signature;
      });
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        void first
          .then(async () => {
            const signature = await watchSignature(dir);
            if (signature === undefined || signature === last) return;
            // Remembered even if the load fails: a broken model is reported once, not every poll.
            last = signature;
            await swap(dir).catch((error: unknown) => log.warn({ dir, error: (error as Error).message }, 'model update rejected; keeping the running model'));
          })
          .finally(() => {
            busy = false;
          });
      }, intervalMs);
      timer.unref();
      const stop = (): void => {
        clearInterval(timer);
        stopWatchers.delete(stop);
      };
      stopWatchers.add(stop);
      return stop;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const stop of [...stopWatchers]) stop();
      await swapping;
      current.retired = true;
      release(current);
    },
  };
}
