/**
 * A model on disk: the tfjs layers format (model.json + weights.bin, as tfjs-node's file:// handler
 * writes them) plus metadata.json, over node:fs: the file:// handler exists only in tfjs-node. Each
 * file is written atomically so a power cut never leaves half a model.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../runtime/index.ts';
import { checkModelMetadata, type ModelMetadata } from './metadata.ts';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'metadata.json';

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return Buffer.concat(buffers.map((b) => new Uint8Array(b)));
}

export async function saveModel(dir: string, model: tf.LayersModel, metadata: ModelMetadata): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = weightBytes(artifacts.weightData);
      await writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        trainingConfig: artifacts.trainingConfig,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  // Metadata last: its presence marks a complete model directory.
  await writeFileAtomic(path.join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function asModelJson(value: unknown, file: string): ModelJson {
  const v = value as Partial<ModelJson> | null;
  if (!v || typeof v !== 'object' || typeof v.modelTopology !== 'object' || !Array.isArray(v.weightsManifest)) {
    throw new Error(`${file} is not a tfjs layers model (needs modelTopology and weightsManifest)`);
  }
  return v as ModelJson;
}

/** The model's layers and weights, from files written by `saveModel` (or tfjs-node's file://). */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelFile = path.join(dir, MODEL_FILE);
      const json = asModelJson(await readJson(modelFile), modelFile);
      const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
      const parts = await Promise.all(
        json.weightsManifest.flatMap((group) => group.paths).map(async (p) => {
          const file = path.resolve(dir, p);
          if (path.relative(dir, file).startsWith('..')) throw new Error(`${modelFile}: weights path ${p} leaves the model directory`);
          return fs.readFile(file);
        }),
      );
      const weights = Buffer.concat(parts);
      const expected = weightSpecs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * (spec.dtype === 'bool' ? 1 : 4), 0);
      if (!weightSpecs.some((spec) => spec.quantization) && weights.length !== expected) throw new Error(`${dir}: weights are ${weights.length} bytes, the manifest describes ${expected}`);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        trainingConfig: json.trainingConfig,
        weightSpecs,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
      };
    },
  };
}

/** The model and its checked metadata; throws naming the file and what is wrong with it. */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; metadata: ModelMetadata }> {
  const metadataFile = path.join(dir, METADATA_FILE);
  const raw = await readJson(metadataFile);
  const model = await tf.loadLayersModel(fileSystemHandler(dir));
  try {
    return { model, metadata: checkModelMetadata(raw, metadataFile) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
